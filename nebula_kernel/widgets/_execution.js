// The browser half of ExecutionWidget: an execution's nodes with state badges and durations.
// Built with DOM calls and textContent only: node ids and errors are data, never markup.
// Colours come from JupyterLab's theme variables.

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const STYLE = `
.nebula-ew { font-family: var(--jp-ui-font-family); font-size: var(--jp-ui-font-size1);
  color: var(--jp-ui-font-color1); background: var(--jp-layout-color1);
  border: 1px solid var(--jp-border-color2); border-radius: 4px; padding: 6px 10px;
  max-width: 720px; }
.nebula-ew-head { display: flex; gap: 8px; align-items: baseline; margin-bottom: 4px; }
.nebula-ew-title { font-weight: 600; }
.nebula-ew-meta { color: var(--jp-ui-font-color2); font-size: var(--jp-ui-font-size0); }
.nebula-ew-error { color: var(--jp-error-color1); font-size: var(--jp-ui-font-size0); }
.nebula-ew-nodes { border-collapse: collapse; width: 100%; }
.nebula-ew-nodes td { padding: 2px 8px 2px 0; vertical-align: baseline; }
.nebula-ew-node-id { font-family: var(--jp-code-font-family); }
.nebula-ew-num { color: var(--jp-ui-font-color2); text-align: right; white-space: nowrap; }
.nebula-ew-badge { display: inline-block; min-width: 64px; text-align: center;
  border-radius: 8px; padding: 0 6px; font-size: var(--jp-ui-font-size0);
  color: var(--jp-ui-inverse-font-color1); background: var(--jp-layout-color4); }
.nebula-ew-badge[data-state="running"] { background: var(--jp-brand-color1); }
.nebula-ew-badge[data-state="retrying"] { background: var(--jp-warn-color1); }
.nebula-ew-badge[data-state="done"] { background: var(--jp-success-color1); }
.nebula-ew-badge[data-state="failed"] { background: var(--jp-error-color1); }
.nebula-ew-badge[data-state="skipped"], .nebula-ew-badge[data-state="cancelled"],
.nebula-ew-badge[data-state="queued"] { color: var(--jp-ui-font-color1);
  background: var(--jp-layout-color3); }
`;

function seconds(ms) {
  return ms === null || ms === undefined ? "" : `${(ms / 1000).toFixed(2)} s`;
}

function render({ model, el: root }) {
  const style = el("style", undefined, STYLE);
  const box = el("div", "nebula-ew");
  box.dataset.testid = "nebula-execution-widget";
  const head = el("div", "nebula-ew-head");
  const title = el("span", "nebula-ew-title");
  const status = el("span", "nebula-ew-badge");
  status.dataset.testid = "nebula-execution-status";
  const meta = el("span", "nebula-ew-meta");
  const error = el("div", "nebula-ew-error");
  error.dataset.testid = "nebula-execution-error";
  const table = el("table", "nebula-ew-nodes");
  const rows = el("tbody");
  table.append(rows);
  head.append(title, status, meta);
  box.append(head, error, table);
  root.append(style, box);

  function row(node) {
    const tr = el("tr");
    tr.dataset.testid = "nebula-execution-node";
    tr.dataset.node = node.id;
    const badge = el("span", "nebula-ew-badge", node.state);
    badge.dataset.state = node.state;
    badge.dataset.testid = "nebula-execution-node-state";
    const attempts = node.attempts > 1 ? `${node.attempts} attempts` : "";
    const cells = [
      el("td", "nebula-ew-node-id", node.id),
      el("td", "nebula-ew-meta", node.action),
      el("td"),
      el("td", "nebula-ew-num", attempts),
      el("td", "nebula-ew-num", seconds(node.duration_ms)),
      el("td", "nebula-ew-error", node.state === "done" ? "" : node.error),
    ];
    cells[2].append(badge);
    tr.append(...cells);
    return tr;
  }

  function show() {
    title.textContent = model.get("workflow_id") || "workflow";
    const state = model.get("status");
    status.textContent = state;
    status.dataset.state =
      { completed: "done", failed: "failed", cancelled: "cancelled" }[state] || "running";
    meta.textContent = `execution ${model.get("execution_id")}`;
    error.textContent = model.get("error");
    rows.replaceChildren(...model.get("nodes").map(row));
  }

  show();
  model.on("change:nodes", show);
  model.on("change:status", show);
  return () => {
    model.off("change:nodes", show);
    model.off("change:status", show);
  };
}

export default { render };
