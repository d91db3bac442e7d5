import { describe, expect, it } from 'vitest';

import { CodecError, NebulaDate, NebulaDecimal, decode, encode } from './codec';

describe('typed JSON', () => {
  it('decodes every tag the server sends', () => {
    const decoded = decode({
      at: { $t: 'datetime', v: '2024-05-01T12:00:00+02:00' },
      day: { $t: 'date', v: '2024-05-01' },
      amount: { $t: 'decimal', v: '10.50' },
      raw: { $t: 'bytes', v: 'AAH/' },
      tags: { $t: 'set', v: ['a', 'b'] },
      big: { $t: 'float', v: 'inf' },
      odd: { $t: 'object', v: { $t: 'not a tag' } },
      list: [1, { $t: 'float', v: 'nan' }]
    }) as Record<string, unknown>;
    expect((decoded.at as Date).toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(decoded.day).toEqual(new NebulaDate('2024-05-01'));
    expect(decoded.amount).toEqual(new NebulaDecimal('10.50'));
    expect(Array.from(decoded.raw as Uint8Array)).toEqual([0, 1, 255]);
    expect(decoded.tags).toEqual(new Set(['a', 'b']));
    expect(decoded.big).toBe(Infinity);
    expect(decoded.odd).toEqual({ $t: 'not a tag' });
    expect(Number.isNaN((decoded.list as number[])[1])).toBe(true);
  });

  it('round-trips what it encodes', () => {
    const value = {
      at: new Date('2024-05-01T10:00:00.000Z'),
      amount: new NebulaDecimal('0.1'),
      tags: new Set([1, 2]),
      raw: new Uint8Array([9, 8]),
      $t: 'plain key'
    };
    expect(decode(JSON.parse(JSON.stringify(encode(value))))).toEqual(value);
  });

  it('refuses unknown tags and malformed values', () => {
    expect(() => decode({ $t: 'complex', v: '1+2j' })).toThrow(CodecError);
    expect(() => decode({ $t: 'datetime', v: 'yesterday' })).toThrow(CodecError);
    expect(() => decode({ $t: 'set', v: 'ab', extra: 1 })).toThrow(CodecError);
  });
});
