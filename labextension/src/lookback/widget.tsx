/**
 * A Lookback chart (main area): pick a type and a time-series or time-in-state query, run it on
 * the server, and see it drawn as SVG (lines per series, or a bar per entity) and as a table.
 */
import { MainAreaWidget, ReactWidget } from '@jupyterlab/apputils';
import * as React from 'react';

import type { ITable } from '../api';
import { oneLine, prettyJson } from '../format';
import type { INebula } from '../services';
import { nebulaIcon } from '../sidebar/widget';
import { ChartKind, IChartData, chartData, templateQuery, valueRange } from './chart';

const WIDTH = 640;
const HEIGHT = 260;
const PAD = { left: 48, right: 12, top: 12, bottom: 40 };
// Series colours from the theme, so both light and dark themes stay readable.
const COLORS = [
  'var(--jp-brand-color1)',
  'var(--jp-warn-color1)',
  'var(--jp-success-color1)',
  'var(--jp-error-color1)',
  'var(--jp-info-color1)',
  'var(--jp-brand-color3)'
];

function Chart(props: { kind: ChartKind; data: IChartData }): JSX.Element {
  const { kind, data } = props;
  const [low, high] = valueRange(data);
  const n = data.categories.length;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (n <= 1 ? plotW / 2 : (i * plotW) / (n - 1));
  const y = (v: number) => PAD.top + plotH - ((v - low) / (high - low)) * plotH;
  const labelEvery = Math.max(1, Math.ceil(n / 8));
  const yTicks = [low, (low + high) / 2, high];
  const band = plotW / Math.max(n, 1);
  return (
    <svg
      className="jp-NebulaChart"
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-label={`${kind} chart`}
      data-testid="nebula-lookback-chart"
    >
      <line
        className="jp-NebulaChart-axis"
        x1={PAD.left}
        y1={y(low)}
        x2={WIDTH - PAD.right}
        y2={y(low)}
      />
      <line className="jp-NebulaChart-axis" x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={y(low)} />
      {yTicks.map(t => (
        <text
          key={t}
          className="jp-NebulaChart-label"
          x={PAD.left - 6}
          y={y(t)}
          textAnchor="end"
          dominantBaseline="middle"
        >
          {Number.isInteger(t) ? t : t.toFixed(2)}
        </text>
      ))}
      {data.categories.map((c, i) =>
        i % labelEvery === 0 ? (
          <text
            key={`${c}-${i}`}
            className="jp-NebulaChart-label"
            x={kind === 'time-in-state' ? PAD.left + band * (i + 0.5) : x(i)}
            y={HEIGHT - PAD.bottom + 16}
            textAnchor="middle"
          >
            {c.length > 16 ? `${c.slice(0, 15)}…` : c}
          </text>
        ) : null
      )}
      {kind === 'time-in-state'
        ? data.series[0]?.values.map((v, i) =>
            v === null ? null : (
              <rect
                key={i}
                x={PAD.left + band * i + band * 0.15}
                width={band * 0.7}
                y={y(Math.max(v, 0))}
                height={Math.abs(y(v) - y(0))}
                fill={COLORS[0]}
              >
                <title>{`${data.categories[i]}: ${v}`}</title>
              </rect>
            )
          )
        : data.series.map((s, k) => (
            <polyline
              key={s.name}
              fill="none"
              stroke={COLORS[k % COLORS.length]}
              strokeWidth={2}
              points={s.values
                .map((v, i) => (v === null ? null : `${x(i)},${y(v)}`))
                .filter(p => p !== null)
                .join(' ')}
            >
              <title>{s.name}</title>
            </polyline>
          ))}
    </svg>
  );
}

function Legend(props: { data: IChartData }): JSX.Element {
  return (
    <ul className="jp-NebulaChart-legend">
      {props.data.series.map((s, k) => (
        <li key={s.name}>
          <span
            className="jp-NebulaChart-swatch"
            style={{ background: COLORS[k % COLORS.length] }}
          />
          {s.name}
        </li>
      ))}
    </ul>
  );
}

function ResultTable(props: { table: ITable }): JSX.Element {
  const { table } = props;
  return (
    <table className="jp-NebulaTable" data-testid="nebula-lookback-table">
      <thead>
        <tr>
          {table.columns.map(c => (
            <th key={c}>{c}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {table.rows.slice(0, 200).map((r, i) => (
          <tr key={i}>
            {table.columns.map(c => (
              <td key={c}>{typeof r[c] === 'string' ? String(r[c]) : oneLine(r[c], 40)}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function LookbackPanel(props: { nebula: INebula }): JSX.Element {
  const { nebula } = props;
  const [star, setStar] = React.useState('');
  const [types, setTypes] = React.useState<string[]>([]);
  const [type, setType] = React.useState('');
  const [kind, setKind] = React.useState<ChartKind>('time-series');
  const [query, setQuery] = React.useState(
    prettyJson(templateQuery('time-series', '', new Date()))
  );
  const [table, setTable] = React.useState<ITable | null>(null);
  const [error, setError] = React.useState<string | null>(null);
  const [running, setRunning] = React.useState(false);

  React.useEffect(() => {
    nebula
      .defaultStar()
      .then(async s => {
        setStar(s);
        const names = (await nebula.api.types(s)).map(t => t.name);
        setTypes(names);
        if (names.length > 0) {
          setType(names[0]);
          setQuery(prettyJson(templateQuery('time-series', names[0], new Date())));
        }
      })
      .catch((e: Error) => setError(e.message));
  }, [nebula]);

  const retemplate = (nextKind: ChartKind, nextType: string) => {
    setQuery(prettyJson(templateQuery(nextKind, nextType, new Date())));
    setTable(null);
  };

  const run = async () => {
    let spec: Record<string, unknown>;
    try {
      spec = JSON.parse(query) as Record<string, unknown>;
    } catch (e) {
      setError(`The query is not valid JSON: ${(e as Error).message}`);
      return;
    }
    setRunning(true);
    try {
      setTable(await nebula.api.lookback(star, kind, spec));
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setRunning(false);
    }
  };

  const data = table ? chartData(kind, table) : null;
  return (
    <div className="jp-NebulaLookback-body">
      <div className="jp-NebulaLookback-controls">
        <label>
          Type{' '}
          <select
            value={type}
            data-testid="nebula-lookback-type"
            onChange={e => {
              setType(e.target.value);
              retemplate(kind, e.target.value);
            }}
          >
            {types.map(t => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        <label>
          Query{' '}
          <select
            value={kind}
            data-testid="nebula-lookback-kind"
            onChange={e => {
              const next = e.target.value as ChartKind;
              setKind(next);
              retemplate(next, type);
            }}
          >
            <option value="time-series">Time series</option>
            <option value="time-in-state">Time in state</option>
          </select>
        </label>
        <button
          className="jp-NebulaButton jp-NebulaButton-accept"
          disabled={running || !star}
          data-testid="nebula-lookback-run"
          onClick={() => void run()}
        >
          {running ? 'Running…' : 'Run'}
        </button>
      </div>
      <textarea
        className="jp-NebulaEditor jp-NebulaLookback-query"
        spellCheck={false}
        value={query}
        aria-label="Lookback query (JSON)"
        data-testid="nebula-lookback-query"
        onChange={e => setQuery(e.target.value)}
      />
      {error !== null && (
        <p className="jp-NebulaFieldError" role="alert" data-testid="nebula-lookback-error">
          {error}
        </p>
      )}
      {data !== null && table !== null && (
        <>
          {data.series.length === 0 ? (
            <p className="jp-NebulaSidebar-note">The result has no numeric column to plot.</p>
          ) : (
            <>
              <Chart kind={kind} data={data} />
              <Legend data={data} />
            </>
          )}
          <ResultTable table={table} />
        </>
      )}
    </div>
  );
}

class LookbackContent extends ReactWidget {
  constructor(private readonly nebula: INebula) {
    super();
    this.addClass('jp-NebulaLookback');
    this.node.dataset.testid = 'nebula-lookback';
  }

  render(): JSX.Element {
    return <LookbackPanel nebula={this.nebula} />;
  }
}

let charts = 0;

/** A new Lookback chart tab. */
export function createLookbackChart(nebula: INebula): MainAreaWidget<LookbackContent> {
  const widget = new MainAreaWidget({ content: new LookbackContent(nebula) });
  widget.id = `nebula-lookback-${++charts}`;
  widget.title.label = 'Lookback chart';
  widget.title.icon = nebulaIcon;
  widget.title.closable = true;
  return widget;
}
