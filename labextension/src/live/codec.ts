/**
 * Typed JSON, the browser's half of nebula_kernel/protocol/_codec.py: values that JSON lacks
 * travel as `{"$t": <tag>, "v": <text>}`. Decoding gives Date (datetime), NebulaDate (date),
 * NebulaDecimal (decimal, kept as its exact text), Uint8Array (bytes), Set (set) and
 * NaN/±Infinity (non-finite floats); a plain object that has a "$t" key travels wrapped.
 */

export const TAG = '$t';

/** A calendar date without a time (Python's `date`), as its ISO text. */
export class NebulaDate {
  constructor(readonly iso: string) {}
  toString(): string {
    return this.iso;
  }
  toJSON(): string {
    return this.iso;
  }
}

/** An exact decimal (Python's `Decimal`), kept as its text so no digit is lost. */
export class NebulaDecimal {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
  toJSON(): string {
    return this.text;
  }
}

export class CodecError extends Error {}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bytesFromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    out[i] = binary.charCodeAt(i);
  }
  return out;
}

function base64FromBytes(bytes: Uint8Array): string {
  let binary = '';
  bytes.forEach(b => {
    binary += String.fromCharCode(b);
  });
  return btoa(binary);
}

const FLOATS: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity };

function decodeTagged(tag: unknown, inner: unknown): unknown {
  switch (tag) {
    case 'object':
      if (!isPlainObject(inner)) {
        break;
      }
      return decodeEntries(inner);
    case 'set':
      if (!Array.isArray(inner)) {
        break;
      }
      return new Set(inner.map(decode));
    case 'datetime': {
      const at = new Date(String(inner));
      if (Number.isNaN(at.getTime())) {
        break;
      }
      return at;
    }
    case 'date':
      return new NebulaDate(String(inner));
    case 'decimal':
      return new NebulaDecimal(String(inner));
    case 'bytes':
      return bytesFromBase64(String(inner));
    case 'float':
      if (typeof inner === 'string' && inner in FLOATS) {
        return FLOATS[inner];
      }
      break;
    default:
      throw new CodecError(`Unknown value tag ${JSON.stringify(tag)}.`);
  }
  throw new CodecError(`The ${String(tag)} value ${JSON.stringify(inner)} is malformed.`);
}

function decodeEntries(value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = decode(item);
  }
  return out;
}

/** The value a parsed typed-JSON document stands for. */
export function decode(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(decode);
  }
  if (!isPlainObject(value)) {
    return value;
  }
  if (!(TAG in value)) {
    return decodeEntries(value);
  }
  const keys = Object.keys(value);
  if (keys.length !== 2 || !('v' in value)) {
    throw new CodecError(`A tagged value has exactly the keys '${TAG}' and 'v'.`);
  }
  return decodeTagged(value[TAG], value.v);
}

/** The typed-JSON form of a value (the inverse of `decode`). */
export function encode(value: unknown): unknown {
  if (value === null || value === undefined) {
    return null;
  }
  if (typeof value === 'number') {
    if (Number.isFinite(value)) {
      return value;
    }
    const text = Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
    return { [TAG]: 'float', v: text };
  }
  if (typeof value === 'string' || typeof value === 'boolean') {
    return value;
  }
  if (Array.isArray(value)) {
    return value.map(encode);
  }
  if (value instanceof Date) {
    return { [TAG]: 'datetime', v: value.toISOString() };
  }
  if (value instanceof NebulaDate) {
    return { [TAG]: 'date', v: value.iso };
  }
  if (value instanceof NebulaDecimal) {
    return { [TAG]: 'decimal', v: value.text };
  }
  if (value instanceof Uint8Array) {
    return { [TAG]: 'bytes', v: base64FromBytes(value) };
  }
  if (value instanceof Set) {
    return { [TAG]: 'set', v: [...value].map(encode) };
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = encode(item);
    }
    return TAG in out ? { [TAG]: 'object', v: out } : out;
  }
  throw new CodecError(`A ${typeof value} cannot travel over the wire.`);
}
