/**
 * The editor's stylesheet, added to the page once. It uses JupyterLab's theme variables only,
 * so light and dark themes (and custom ones) both look right; React Flow's own variables are
 * mapped onto them.
 */
const CSS = `
.jp-NebulaWorkflow {
  display: flex; flex-direction: column; height: 100%; outline: none;
  background: var(--jp-layout-color1); color: var(--jp-ui-font-color1);
  font-family: var(--jp-ui-font-family); font-size: var(--jp-ui-font-size1);
  --xy-background-color: var(--jp-layout-color1);
  --xy-background-pattern-color: var(--jp-border-color2);
  --xy-edge-stroke: var(--jp-ui-font-color3);
  --xy-edge-stroke-selected: var(--jp-brand-color1);
  --xy-edge-label-background-color: var(--jp-layout-color1);
  --xy-edge-label-color: var(--jp-ui-font-color2);
  --xy-connectionline-stroke: var(--jp-brand-color1);
  --xy-handle-background-color: var(--jp-ui-font-color2);
  --xy-handle-border-color: var(--jp-layout-color1);
  --xy-controls-button-background-color: var(--jp-layout-color2);
  --xy-controls-button-background-color-hover: var(--jp-layout-color3);
  --xy-controls-button-color: var(--jp-ui-font-color1);
  --xy-controls-button-border-color: var(--jp-border-color2);
  --xy-minimap-background-color: var(--jp-layout-color2);
  --xy-minimap-mask-background-color: var(--jp-layout-color3);
  --xy-minimap-node-background-color: var(--jp-border-color1);
  --xy-selection-background-color: var(--jp-brand-color3);
  --xy-selection-border: 1px dotted var(--jp-brand-color1);
  --xy-attribution-background-color: transparent;
}
.jp-NebulaWorkflow:focus-visible { outline: 1px solid var(--jp-brand-color1); outline-offset: -1px; }
.jp-NebulaWorkflow-toolbar {
  display: flex; align-items: center; gap: 4px; flex-wrap: wrap; padding: 4px 8px;
  border-bottom: var(--jp-border-width) solid var(--jp-border-color2); background: var(--jp-layout-color1);
}
.jp-NebulaWorkflow-toolbar .jp-NebulaWorkflow-spacer { flex: 1; }
.jp-NebulaWorkflow-title { font-weight: 600; margin-right: 8px; color: var(--jp-ui-font-color0); }
.jp-NebulaWorkflow button, .jp-NebulaWorkflow select {
  font: inherit; color: var(--jp-ui-font-color1); background: var(--jp-layout-color2);
  border: var(--jp-border-width) solid var(--jp-border-color2); border-radius: 3px; padding: 2px 8px; cursor: pointer;
}
.jp-NebulaWorkflow button:hover:not(:disabled) { background: var(--jp-layout-color3); }
.jp-NebulaWorkflow button:disabled { opacity: 0.5; cursor: default; }
.jp-NebulaWorkflow button:focus-visible, .jp-NebulaWorkflow select:focus-visible,
.jp-NebulaWorkflow input:focus-visible, .jp-NebulaWorkflow textarea:focus-visible {
  outline: 1px solid var(--jp-brand-color1);
}
.jp-NebulaWorkflow button.jp-mod-accept { background: var(--jp-brand-color1); color: var(--jp-ui-inverse-font-color1); border-color: var(--jp-brand-color1); }
.jp-NebulaWorkflow button.jp-mod-warn { color: var(--jp-error-color1); }
.jp-NebulaWorkflow-body { display: flex; flex: 1; min-height: 0; }
.jp-NebulaWorkflow-palette, .jp-NebulaWorkflow-properties {
  display: flex; flex-direction: column; min-height: 0; overflow: auto; background: var(--jp-layout-color1);
}
.jp-NebulaWorkflow-palette { width: 190px; border-right: var(--jp-border-width) solid var(--jp-border-color2); }
.jp-NebulaWorkflow-properties { width: 300px; border-left: var(--jp-border-width) solid var(--jp-border-color2); padding: 8px; gap: 8px; }
.jp-NebulaWorkflow-palette input[type="search"] { margin: 6px; }
.jp-NebulaWorkflow-paletteItem {
  margin: 2px 6px; padding: 4px 6px; border-radius: 3px; cursor: grab;
  border: var(--jp-border-width) solid var(--jp-border-color2); background: var(--jp-layout-color2);
}
.jp-NebulaWorkflow-paletteItem:hover, .jp-NebulaWorkflow-paletteItem:focus-visible { border-color: var(--jp-brand-color1); outline: none; }
.jp-NebulaWorkflow-paletteItem small, .jp-NebulaWorkflow-muted { display: block; color: var(--jp-ui-font-color2); font-size: var(--jp-ui-font-size0); }
.jp-NebulaWorkflow-canvas { flex: 1; min-width: 0; position: relative; }
.jp-NebulaWorkflow input, .jp-NebulaWorkflow textarea {
  font: inherit; color: var(--jp-ui-font-color0); background: var(--jp-input-active-background, var(--jp-layout-color0));
  border: var(--jp-border-width) solid var(--jp-border-color1); border-radius: 2px; padding: 2px 4px; box-sizing: border-box;
}
.jp-NebulaWorkflow textarea, .jp-NebulaWorkflow .jp-mod-code { font-family: var(--jp-code-font-family); font-size: var(--jp-code-font-size); }
.jp-NebulaWorkflow-field { display: flex; flex-direction: column; gap: 2px; }
.jp-NebulaWorkflow-field > label { display: flex; align-items: center; gap: 4px; font-weight: 600; color: var(--jp-ui-font-color1); }
.jp-NebulaWorkflow-field > label .jp-NebulaWorkflow-required { color: var(--jp-error-color1); }
.jp-NebulaWorkflow-field > label button { margin-left: auto; padding: 0 6px; font-family: var(--jp-code-font-family); }
.jp-NebulaWorkflow-field input:not([type="checkbox"]), .jp-NebulaWorkflow-field textarea, .jp-NebulaWorkflow-field select { width: 100%; }
.jp-NebulaWorkflow-field.jp-mod-expression input { border-color: var(--jp-brand-color2); }
.jp-NebulaWorkflow-error { color: var(--jp-error-color1); font-size: var(--jp-ui-font-size0); white-space: pre-wrap; }
.jp-NebulaWorkflow-section { font-weight: 600; color: var(--jp-ui-font-color0); border-bottom: var(--jp-border-width) solid var(--jp-border-color2); padding-bottom: 2px; }
.jp-NebulaWorkflow-problems {
  max-height: 120px; overflow: auto; border-top: var(--jp-border-width) solid var(--jp-border-color2);
  background: var(--jp-layout-color1); margin: 0; padding: 0; list-style: none;
}
.jp-NebulaWorkflow-problems li { padding: 2px 8px; cursor: pointer; color: var(--jp-error-color1); }
.jp-NebulaWorkflow-problems li:hover, .jp-NebulaWorkflow-problems li:focus-visible { background: var(--jp-layout-color2); outline: none; }
.jp-NebulaWorkflow-problems .jp-NebulaWorkflow-ok { color: var(--jp-success-color1); cursor: default; }
.jp-NebulaWorkflow-banner { padding: 4px 8px; background: var(--jp-warn-color3); color: var(--jp-ui-font-color0); }
.jp-NebulaWorkflow-banner.jp-mod-error { background: var(--jp-error-color3); }
.jp-NebulaWorkflow-node {
  width: 200px; box-sizing: border-box; padding: 6px 8px; border-radius: 4px;
  background: var(--jp-layout-color0); color: var(--jp-ui-font-color1);
  border: 1px solid var(--jp-border-color1); box-shadow: var(--jp-elevation-z1);
}
.react-flow__node.selected .jp-NebulaWorkflow-node { border-color: var(--jp-brand-color1); box-shadow: 0 0 0 1px var(--jp-brand-color1); }
.jp-NebulaWorkflow-node.jp-mod-invalid { border-color: var(--jp-error-color1); }
.jp-NebulaWorkflow-node header { display: flex; align-items: center; gap: 6px; font-weight: 600; color: var(--jp-ui-font-color0); }
.jp-NebulaWorkflow-node header span:first-child { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.jp-NebulaWorkflow-node .jp-NebulaWorkflow-action { color: var(--jp-brand-color1); font-family: var(--jp-code-font-family); font-size: var(--jp-code-font-size); }
.jp-NebulaWorkflow-node .jp-NebulaWorkflow-preview { color: var(--jp-ui-font-color2); font-size: var(--jp-ui-font-size0); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.jp-NebulaWorkflow-badge {
  margin-left: auto; border-radius: 8px; padding: 0 6px; font-size: var(--jp-ui-font-size0); font-weight: normal;
  background: var(--jp-layout-color3); color: var(--jp-ui-font-color1); white-space: nowrap;
}
.jp-NebulaWorkflow-badge.jp-mod-problem { background: var(--jp-error-color1); color: var(--jp-ui-inverse-font-color1); }
.jp-NebulaWorkflow-node[data-state="running"], .jp-NebulaWorkflow-node[data-state="retrying"] { border-color: var(--jp-brand-color1); border-width: 2px; }
.jp-NebulaWorkflow-node[data-state="done"] { border-color: var(--jp-success-color1); border-width: 2px; }
.jp-NebulaWorkflow-node[data-state="failed"] { border-color: var(--jp-error-color1); border-width: 2px; }
.jp-NebulaWorkflow-node[data-state="skipped"] { opacity: 0.55; border-style: dashed; }
.jp-NebulaWorkflow-node[data-state="cancelled"] { border-color: var(--jp-warn-color1); border-style: dashed; border-width: 2px; }
.jp-NebulaWorkflow-node[data-state="retrying"] .jp-NebulaWorkflow-badge, .jp-NebulaWorkflow-run[data-status="running"] { background: var(--jp-warn-color1); color: var(--jp-ui-inverse-font-color1); }
.jp-NebulaWorkflow-node[data-state="running"] .jp-NebulaWorkflow-badge { background: var(--jp-brand-color1); color: var(--jp-ui-inverse-font-color1); }
.jp-NebulaWorkflow-node[data-state="done"] .jp-NebulaWorkflow-badge { background: var(--jp-success-color1); color: var(--jp-ui-inverse-font-color1); }
.jp-NebulaWorkflow-node[data-state="failed"] .jp-NebulaWorkflow-badge { background: var(--jp-error-color1); color: var(--jp-ui-inverse-font-color1); }
.jp-NebulaWorkflow-run { border-radius: 8px; padding: 0 8px; background: var(--jp-layout-color3); }
.jp-NebulaWorkflow-run[data-status="completed"] { background: var(--jp-success-color1); color: var(--jp-ui-inverse-font-color1); }
.jp-NebulaWorkflow-run[data-status="failed"] { background: var(--jp-error-color1); color: var(--jp-ui-inverse-font-color1); }
.jp-NebulaWorkflow-dialog {
  position: absolute; top: 40px; right: 16px; z-index: 10; width: 320px; padding: 8px; display: flex; flex-direction: column; gap: 6px;
  background: var(--jp-layout-color1); border: var(--jp-border-width) solid var(--jp-border-color1); box-shadow: var(--jp-elevation-z4);
}
.jp-NebulaWorkflow-dialog textarea { min-height: 90px; width: 100%; }
.jp-NebulaWorkflow-dialog footer { display: flex; justify-content: flex-end; gap: 6px; }
.jp-NebulaWorkflow pre {
  margin: 0; padding: 4px; max-height: 180px; overflow: auto; white-space: pre-wrap; word-break: break-word;
  background: var(--jp-layout-color2); font-family: var(--jp-code-font-family); font-size: var(--jp-code-font-size);
}
.jp-NebulaWorkflow-attempts { margin: 0; padding-left: 20px; }
.jp-NebulaWorkflow-journal { margin: 0; padding: 0; list-style: none; }
.jp-NebulaWorkflow-journal .jp-NebulaWorkflow-muted { display: inline-block; min-width: 3em; }
`;

let added = false;

/** Add the stylesheet to the page (once). */
export function addEditorStyles(): void {
  if (added) {
    return;
  }
  const style = document.createElement('style');
  style.dataset.nebula = 'workflow-editor';
  style.textContent = CSS;
  document.head.appendChild(style);
  added = true;
}
