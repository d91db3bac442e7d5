/** Turning a Lookback result table into what the chart draws (pure, unit-tested). */
import type { ITable } from '../api';

export type ChartKind = 'time-series' | 'time-in-state';

export interface ISeries {
  name: string;
  /** One value per category (null: no value there). */
  values: (number | null)[];
}

export interface IChartData {
  /** The x axis: tick labels, or entity names for time-in-state. */
  categories: string[];
  series: ISeries[];
}

const TIME_SERIES_KEYS = new Set(['label', 'tick']);

/** The numeric columns of a time series become lines over its tick labels; a time-in-state
 * result becomes one bar per entity (`_Type/_Id`). */
export function chartData(kind: ChartKind, table: ITable): IChartData {
  if (kind === 'time-in-state') {
    const valueColumn =
      table.columns.find(c => c === 'timeInState') ??
      table.columns.find(c => table.rows.some(r => typeof r[c] === 'number'));
    return {
      categories: table.rows.map(
        r => [r._Type, r._Id].filter(v => v !== undefined).join('/') || String(r[table.columns[0]])
      ),
      series: valueColumn
        ? [{ name: valueColumn, values: table.rows.map(r => numberOrNull(r[valueColumn])) }]
        : []
    };
  }
  const numeric = table.columns.filter(
    c => !TIME_SERIES_KEYS.has(c) && table.rows.some(r => typeof r[c] === 'number')
  );
  return {
    categories: table.rows.map(r => String(r.label ?? r.tick ?? '')),
    series: numeric.map(name => ({ name, values: table.rows.map(r => numberOrNull(r[name])) }))
  };
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** The y range to draw: from 0 (or the lowest value below it) to the highest, never empty. */
export function valueRange(data: IChartData): [number, number] {
  const all = data.series.flatMap(s => s.values).filter((v): v is number => v !== null);
  const low = Math.min(0, ...all);
  const high = Math.max(...all, low + 1);
  return [low, high];
}

/** The query a new chart starts from: the last day of `type`, hourly (a time series runs to
 * the end of the next hour, so the latest writes are in it; time in state runs to now). */
export function templateQuery(kind: ChartKind, type: string, now: Date): Record<string, unknown> {
  const hour = 3600_000;
  const end = new Date(Math.ceil(now.getTime() / hour) * hour + hour).toISOString();
  const start = new Date(now.getTime() - 24 * hour).toISOString();
  const everyDay = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
  const filter = type ? { _Type: type } : undefined;
  if (kind === 'time-in-state') {
    return {
      start,
      granularity: 'hour',
      workDays: everyDay,
      workDayStartOn: '00:00',
      workDayEndBefore: '24:00',
      filter,
      predicate: { status: 'open' }
    };
  }
  return {
    granularity: 'hour',
    start,
    end,
    workDays: everyDay,
    filter,
    metrics: [{ as: 'count', f: 'count' }]
  };
}
