/**
 * The resource inspector (main area): the current value as editable JSON saved with its eTag,
 * a conflict dialog when someone else wrote first, the history timeline, an "as of" slider
 * over the snapshot times, and a diff between two snapshots. It follows the resource live.
 */
import { MainAreaWidget, ReactWidget } from '@jupyterlab/apputils';
import * as React from 'react';

import { IFieldError, IDiff, NebulaApiError } from '../api';
import { oneLine, prettyJson, shortTime, testId } from '../format';
import type { ResourceOut } from '../generated/models';
import type { INebula } from '../services';
import { nebulaIcon } from '../sidebar/widget';
import { parseValue, snapshotChanges } from './edit';

export interface IResourceKey {
  star: string;
  type: string;
  id: string;
}

interface IConflict {
  mine: Record<string, unknown>;
  /** The stored version now (null: it was deleted). */
  theirs: ResourceOut | null;
}

function ConflictDialog(props: {
  conflict: IConflict;
  onKeepTheirs(): void;
  onOverwrite(): void;
  onEdit(): void;
}): JSX.Element {
  const { conflict } = props;
  const theirs = conflict.theirs;
  return (
    <div className="jp-NebulaModal-backdrop">
      <div
        className="jp-NebulaModal"
        role="dialog"
        aria-modal="true"
        aria-labelledby="nebula-conflict-title"
        data-testid="nebula-conflict-dialog"
      >
        <h3 id="nebula-conflict-title">Someone else changed this resource first</h3>
        <p>
          {theirs
            ? `Snapshot ${theirs.snapshot_number} was written by ${theirs.changed_by} at ` +
              `${shortTime(theirs.valid_from)}, after you started editing.`
            : 'It was deleted after you started editing.'}
        </p>
        <div className="jp-NebulaConflict-columns">
          <div>
            <h4>Yours</h4>
            <pre className="jp-NebulaCode" data-testid="nebula-conflict-mine">
              {prettyJson(conflict.mine)}
            </pre>
          </div>
          <div>
            <h4>Theirs</h4>
            <pre className="jp-NebulaCode" data-testid="nebula-conflict-theirs">
              {theirs ? prettyJson(theirs.value) : '(deleted)'}
            </pre>
          </div>
        </div>
        <div className="jp-NebulaModal-actions">
          <button
            className="jp-NebulaButton"
            data-testid="nebula-conflict-keep-theirs"
            onClick={props.onKeepTheirs}
          >
            Keep theirs
          </button>
          <button
            className="jp-NebulaButton"
            data-testid="nebula-conflict-edit"
            onClick={props.onEdit}
          >
            Edit mine on top of theirs
          </button>
          <button
            className="jp-NebulaButton jp-NebulaButton-warn"
            data-testid="nebula-conflict-overwrite"
            onClick={props.onOverwrite}
          >
            Overwrite with mine
          </button>
        </div>
      </div>
    </div>
  );
}

function Timeline(props: { history: ResourceOut[] }): JSX.Element {
  const newestFirst = [...props.history].reverse();
  return (
    <ol className="jp-NebulaTimeline" data-testid="nebula-history">
      {newestFirst.map(s => {
        const changes = snapshotChanges(s);
        return (
          <li
            key={s.snapshot_number}
            className="jp-NebulaTimeline-item"
            data-testid={`nebula-snapshot-${s.snapshot_number}`}
          >
            <div className="jp-NebulaTimeline-head">
              <span className="jp-NebulaTimeline-number">#{s.snapshot_number}</span>
              <span>{shortTime(s.valid_from)}</span>
              <span className="jp-NebulaTimeline-who">{s.changed_by}</span>
            </div>
            {s.snapshot_number === 1 && changes.length === 0 ? (
              <div className="jp-NebulaTimeline-change">created</div>
            ) : (
              changes.map(c => (
                <div key={c.field} className="jp-NebulaTimeline-change">
                  <code>{c.field}</code>: {oneLine(c.old)} → {oneLine(c.new)}
                </div>
              ))
            )}
          </li>
        );
      })}
    </ol>
  );
}

function AsOf(props: { nebula: INebula; resource: IResourceKey; history: ResourceOut[] }) {
  const { nebula, resource, history } = props;
  const [index, setIndex] = React.useState(history.length - 1);
  const [value, setValue] = React.useState<string>('');
  const [error, setError] = React.useState<string | null>(null);
  const last = history.length - 1;

  React.useEffect(() => setIndex(last), [last]);
  const at = history[Math.min(Math.max(index, 0), last)]?.valid_from;
  React.useEffect(() => {
    if (!at) {
      return;
    }
    let wanted = true; // a later slider position supersedes this read
    nebula.api
      .resource(resource.star, resource.type, resource.id, at)
      .then(r => {
        if (wanted) {
          setValue(prettyJson(r.value));
          setError(null);
        }
      })
      .catch((e: Error) => {
        if (wanted) {
          setError(e.message);
        }
      });
    return () => {
      wanted = false;
    };
  }, [at, resource.star, resource.type, resource.id]);

  if (history.length === 0) {
    return <p className="jp-NebulaSidebar-note">No history yet.</p>;
  }
  return (
    <div className="jp-NebulaAsOf">
      <label className="jp-NebulaAsOf-label">
        As of <span data-testid="nebula-asof-time">{at ? shortTime(at) : ''}</span> (snapshot{' '}
        <span data-testid="nebula-asof-number">{history[index]?.snapshot_number}</span>)
        <input
          type="range"
          min={0}
          max={last}
          step={1}
          value={index}
          disabled={last === 0}
          data-testid="nebula-asof-slider"
          aria-label="Show the value as of a snapshot time"
          onChange={e => setIndex(Number(e.target.value))}
        />
      </label>
      {error !== null ? (
        <p className="jp-NebulaSidebar-error">{error}</p>
      ) : (
        <pre className="jp-NebulaCode" data-testid="nebula-asof-value">
          {value}
        </pre>
      )}
    </div>
  );
}

function Diff(props: { nebula: INebula; resource: IResourceKey; history: ResourceOut[] }) {
  const { nebula, resource, history } = props;
  const last = history.length - 1;
  const [from, setFrom] = React.useState(Math.max(0, last - 1));
  const [to, setTo] = React.useState(last);
  const [diff, setDiff] = React.useState<IDiff | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  React.useEffect(() => {
    setFrom(Math.max(0, last - 1));
    setTo(last);
  }, [last]);

  const run = () => {
    const start = history[from]?.valid_from;
    const end = history[to]?.valid_from;
    if (!start || !end) {
      return;
    }
    nebula.api
      .diff(resource.star, resource.type, resource.id, start, end)
      .then(d => {
        setDiff(d);
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
  };
  const choose = (value: number, set: (n: number) => void, label: string) => (
    <select
      aria-label={label}
      value={value}
      data-testid={`nebula-diff-${label}`}
      onChange={e => set(Number(e.target.value))}
    >
      {history.map((s, n) => (
        <option key={s.snapshot_number} value={n}>
          #{s.snapshot_number} {shortTime(s.valid_from)}
        </option>
      ))}
    </select>
  );
  return (
    <div className="jp-NebulaDiff">
      <div className="jp-NebulaDiff-controls">
        {choose(from, setFrom, 'from')}
        {choose(to, setTo, 'to')}
        <button className="jp-NebulaButton" data-testid="nebula-diff-run" onClick={run}>
          Diff
        </button>
      </div>
      {error !== null && <p className="jp-NebulaSidebar-error">{error}</p>}
      {diff !== null && (
        <table className="jp-NebulaTable" data-testid="nebula-diff-result">
          <thead>
            <tr>
              <th>Field</th>
              <th>Change</th>
              <th>Before</th>
              <th>After</th>
            </tr>
          </thead>
          <tbody>
            {diff.changes.length === 0 && (
              <tr>
                <td colSpan={4}>No changes.</td>
              </tr>
            )}
            {diff.changes.map(c => (
              <tr key={c.path.join('.')}>
                <td>
                  <code>{c.path.join('.') || '(value)'}</code>
                </td>
                <td>{c.kind}</td>
                <td>{oneLine(c.old, 80)}</td>
                <td>{oneLine(c.new, 80)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function Inspector(props: { nebula: INebula; resource: IResourceKey }): JSX.Element {
  const { nebula, resource } = props;
  const { star, type, id } = resource;
  const [current, setCurrent] = React.useState<ResourceOut | null>(null);
  const [history, setHistory] = React.useState<ResourceOut[]>([]);
  const [loadError, setLoadError] = React.useState<string | null>(null);
  // The version the edit started from: its eTag guards the save.
  const [base, setBase] = React.useState<ResourceOut | null>(null);
  const [text, setText] = React.useState('');
  const [dirty, setDirty] = React.useState(false);
  const [fieldErrors, setFieldErrors] = React.useState<IFieldError[]>([]);
  const [saveError, setSaveError] = React.useState<string | null>(null);
  const [saving, setSaving] = React.useState(false);
  const [savedAt, setSavedAt] = React.useState<number | null>(null);
  const [conflict, setConflict] = React.useState<IConflict | null>(null);
  const dirtyRef = React.useRef(dirty);
  dirtyRef.current = dirty;

  const adopt = (r: ResourceOut) => {
    setBase(r);
    setText(prettyJson(r.value));
    setDirty(false);
    setFieldErrors([]);
  };

  // Reads may answer out of order; only the latest one counts.
  const latestRead = React.useRef(0);
  const reload = React.useCallback(async () => {
    const read = ++latestRead.current;
    try {
      const [now, snapshots] = await Promise.all([
        nebula.api.resource(star, type, id),
        nebula.api.history(star, type, id)
      ]);
      if (read !== latestRead.current) {
        return;
      }
      setCurrent(now);
      setHistory(snapshots);
      setLoadError(null);
      if (!dirtyRef.current) {
        adopt(now);
      }
    } catch (error) {
      if (read === latestRead.current) {
        setLoadError((error as Error).message);
      }
    }
  }, [star, type, id]);

  React.useEffect(() => {
    void reload();
    const sub = nebula.live.subscribe(
      { kind: 'resources', star, type, id },
      { onEvent: () => void reload(), onResync: () => void reload() }
    );
    return () => sub.unsubscribe();
  }, [reload]);

  const parsed = parseValue(text);

  const save = async (value: Record<string, unknown>, etag: string | undefined) => {
    setSaving(true);
    setSaveError(null);
    setFieldErrors([]);
    try {
      const written = await nebula.api.putResource(star, type, id, value, { etag });
      setConflict(null);
      setCurrent(written);
      adopt(written);
      setSavedAt(written.snapshot_number);
      void reload();
    } catch (error) {
      if (error instanceof NebulaApiError && error.isConflict) {
        const theirs = await nebula.api.resource(star, type, id).catch(() => null);
        setConflict({ mine: value, theirs });
      } else if (error instanceof NebulaApiError && error.fieldErrors.length > 0) {
        setFieldErrors(error.fieldErrors);
        setSaveError(error.message);
      } else {
        setSaveError((error as Error).message);
      }
    } finally {
      setSaving(false);
    }
  };

  const stale = dirty && base !== null && current !== null && current.etag !== base.etag;

  return (
    <div className="jp-NebulaInspector-body">
      <header className="jp-NebulaInspector-header">
        <h2>
          {type}/{id}
        </h2>
        <span className="jp-NebulaInspector-meta" data-testid="nebula-inspector-meta">
          {current
            ? `${star} · snapshot ${current.snapshot_number} · ${current.changed_by} · ` +
              shortTime(current.valid_from)
            : star}
        </span>
      </header>
      {loadError !== null && (
        <p className="jp-NebulaSidebar-error" role="alert" data-testid="nebula-inspector-error">
          {loadError}
        </p>
      )}
      <div className="jp-NebulaInspector-columns">
        <section className="jp-NebulaInspector-edit">
          <h3>Value</h3>
          {stale && (
            <p className="jp-NebulaNotice" data-testid="nebula-inspector-stale">
              {current.changed_by} changed it since you started editing; saving will ask which
              version to keep.
            </p>
          )}
          <textarea
            className="jp-NebulaEditor"
            spellCheck={false}
            value={text}
            aria-label="Resource value (JSON)"
            aria-invalid={!parsed.ok || fieldErrors.length > 0}
            data-testid="nebula-inspector-editor"
            onChange={e => {
              setText(e.target.value);
              setDirty(true);
              setSavedAt(null);
            }}
          />
          {!parsed.ok && (
            <p className="jp-NebulaFieldError" data-testid="nebula-inspector-parse-error">
              {parsed.error}
            </p>
          )}
          {fieldErrors.length > 0 && (
            <ul className="jp-NebulaFieldErrors" data-testid="nebula-inspector-field-errors">
              {fieldErrors.map(f => (
                <li key={`${f.location}:${f.message}`} className="jp-NebulaFieldError">
                  <code>{f.location}</code>: {f.message}
                </li>
              ))}
            </ul>
          )}
          {saveError !== null && fieldErrors.length === 0 && (
            <p className="jp-NebulaFieldError" data-testid="nebula-inspector-save-error">
              {saveError}
            </p>
          )}
          <div className="jp-NebulaInspector-actions">
            <button
              className="jp-NebulaButton jp-NebulaButton-accept"
              disabled={!parsed.ok || !dirty || saving}
              data-testid="nebula-inspector-save"
              onClick={() => parsed.ok && void save(parsed.value, base?.etag)}
            >
              {saving ? 'Saving…' : 'Save'}
            </button>
            <button
              className="jp-NebulaButton"
              disabled={!dirty || current === null}
              data-testid="nebula-inspector-revert"
              onClick={() => current && adopt(current)}
            >
              Revert
            </button>
            {savedAt !== null && (
              <span className="jp-NebulaInspector-saved" data-testid="nebula-inspector-saved">
                Saved as snapshot {savedAt}
              </span>
            )}
          </div>
        </section>
        <section className="jp-NebulaInspector-history">
          <h3>As of</h3>
          <AsOf nebula={nebula} resource={resource} history={history} />
          <h3>Diff</h3>
          <Diff nebula={nebula} resource={resource} history={history} />
          <h3>History</h3>
          <Timeline history={history} />
        </section>
      </div>
      {conflict !== null && (
        <ConflictDialog
          conflict={conflict}
          onKeepTheirs={() => {
            if (conflict.theirs) {
              setCurrent(conflict.theirs);
              adopt(conflict.theirs);
            }
            setConflict(null);
          }}
          onEdit={() => {
            setBase(conflict.theirs);
            setText(prettyJson(conflict.mine));
            setConflict(null);
          }}
          onOverwrite={() =>
            void save(conflict.mine, conflict.theirs ? conflict.theirs.etag : undefined)
          }
        />
      )}
    </div>
  );
}

class InspectorContent extends ReactWidget {
  constructor(
    private readonly nebula: INebula,
    readonly resource: IResourceKey
  ) {
    super();
    this.addClass('jp-NebulaInspector');
    this.node.dataset.testid = 'nebula-inspector';
  }

  render(): JSX.Element {
    return <Inspector nebula={this.nebula} resource={this.resource} />;
  }
}

/** The id of a resource's inspector tab (one tab per resource). */
export function inspectorId(resource: IResourceKey): string {
  return testId('nebula-inspector', resource.star, resource.type, resource.id);
}

/** The inspector of one resource, as a main-area tab. */
export function createInspector(
  nebula: INebula,
  resource: IResourceKey
): MainAreaWidget<InspectorContent> {
  const content = new InspectorContent(nebula, resource);
  const widget = new MainAreaWidget({ content });
  widget.id = inspectorId(resource);
  widget.title.label = `${resource.type}/${resource.id}`;
  widget.title.caption = `${resource.star}: ${resource.type}/${resource.id}`;
  widget.title.icon = nebulaIcon;
  widget.title.closable = true;
  return widget;
}
