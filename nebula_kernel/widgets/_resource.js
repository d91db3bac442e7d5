// The browser half of ResourceWidget. Built with DOM calls and textContent only: a resource's
// content is data, never markup. Colours come from JupyterLab's theme variables.

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const STYLE = `
.nebula-rw { font-family: var(--jp-ui-font-family); font-size: var(--jp-ui-font-size1);
  color: var(--jp-ui-font-color1); background: var(--jp-layout-color1);
  border: 1px solid var(--jp-border-color2); border-radius: 4px; padding: 6px 10px;
  max-width: 720px; transition: box-shadow 0.6s; }
.nebula-rw.nebula-rw-flash { box-shadow: 0 0 0 2px var(--jp-brand-color1); }
.nebula-rw-head { display: flex; gap: 8px; align-items: baseline; }
.nebula-rw-title { font-weight: 600; }
.nebula-rw-meta { color: var(--jp-ui-font-color2); font-size: var(--jp-ui-font-size0); }
.nebula-rw-live { color: var(--jp-success-color1); font-size: var(--jp-ui-font-size0); }
.nebula-rw-deleted { color: var(--jp-error-color1); }
.nebula-rw-value { font-family: var(--jp-code-font-family); font-size: var(--jp-code-font-size);
  background: var(--jp-layout-color2); padding: 6px; margin: 6px 0 0; white-space: pre-wrap; }
.nebula-rw-field-changed { background: var(--jp-warn-color3); }
`;

function render({ model, el: root }) {
  const style = el("style", undefined, STYLE);
  const box = el("div", "nebula-rw");
  box.dataset.testid = "nebula-resource-widget";
  const head = el("div", "nebula-rw-head");
  const title = el("span", "nebula-rw-title");
  const live = el("span", "nebula-rw-live", "● live");
  const meta = el("div", "nebula-rw-meta");
  const value = el("pre", "nebula-rw-value");
  value.dataset.testid = "nebula-resource-widget-value";
  head.append(title, live);
  box.append(head, meta, value);
  root.append(style, box);

  function show() {
    title.textContent = `${model.get("type_name")}/${model.get("resource_id")}`;
    const deleted = model.get("deleted");
    box.classList.toggle("nebula-rw-deleted", deleted);
    live.textContent = deleted ? "deleted" : "● live";
    const notice = model.get("notice");
    meta.textContent = notice
      ? notice
      : `${model.get("star")} · snapshot #${model.get("snapshot_number")} · ` +
        `${model.get("changed_by")} · ${model.get("valid_from")} · eTag ${model.get("etag")}`;
    const current = model.get("value");
    const changed = new Set(model.get("changed_fields"));
    value.replaceChildren();
    value.append("{\n");
    const keys = Object.keys(current);
    keys.forEach((key, i) => {
      const line = el("span", changed.has(key) ? "nebula-rw-field-changed" : undefined);
      const comma = i < keys.length - 1 ? "," : "";
      line.textContent = `  ${JSON.stringify(key)}: ${JSON.stringify(current[key])}${comma}`;
      value.append(line, "\n");
    });
    value.append("}");
  }

  function flash() {
    show();
    box.classList.add("nebula-rw-flash");
    setTimeout(() => box.classList.remove("nebula-rw-flash"), 600);
  }

  show();
  model.on("change:snapshot_number", flash);
  model.on("change:deleted", show);
  model.on("change:notice", show);
  return () => {
    model.off("change:snapshot_number", flash);
    model.off("change:deleted", show);
    model.off("change:notice", show);
  };
}

export default { render };
