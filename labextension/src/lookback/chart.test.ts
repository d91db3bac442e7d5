import { describe, expect, it } from 'vitest';

import { chartData, templateQuery, valueRange } from './chart';

describe('lookback chart data', () => {
  it('draws each numeric column of a time series over its tick labels', () => {
    const data = chartData('time-series', {
      columns: ['label', 'tick', 'count', 'note'],
      rows: [
        { label: '10:00', tick: '2024-01-01T10:00:00Z', count: 2, note: 'x' },
        { label: '11:00', tick: '2024-01-01T11:00:00Z', count: null, note: 'y' }
      ]
    });
    expect(data).toEqual({
      categories: ['10:00', '11:00'],
      series: [{ name: 'count', values: [2, null] }]
    });
  });

  it('draws a bar per entity for time in state', () => {
    const data = chartData('time-in-state', {
      columns: ['_Type', '_Id', 'timeInState'],
      rows: [{ _Type: 'Ticket', _Id: 't1', timeInState: 1.5 }]
    });
    expect(data).toEqual({
      categories: ['Ticket/t1'],
      series: [{ name: 'timeInState', values: [1.5] }]
    });
  });

  it('keeps a y range that is never empty and includes zero', () => {
    expect(valueRange({ categories: [], series: [] })).toEqual([0, 1]);
    expect(valueRange({ categories: ['a'], series: [{ name: 's', values: [-2, 5] }] })).toEqual([
      -2, 5
    ]);
  });

  it('starts time-in-state from a query the server accepts the shape of', () => {
    const q = templateQuery('time-in-state', 'Ticket', new Date('2024-01-02T10:30:00Z'));
    expect(q).toMatchObject({ filter: { _Type: 'Ticket' }, granularity: 'hour' });
    expect(q.start).toBe('2024-01-01T10:30:00.000Z');
    expect(q.end).toBeUndefined(); // up to now
    const series = templateQuery('time-series', 'Ticket', new Date('2024-01-02T10:30:00Z'));
    expect(series.end).toBe('2024-01-02T12:00:00.000Z');
  });
});
