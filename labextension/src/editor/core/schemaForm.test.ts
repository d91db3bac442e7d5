import { describe, expect, it } from 'vitest';

import { fieldText, formFields, parseFieldInput } from './schemaForm';
import { isExpression, isTemplate, preview, valueKind } from './values';

const HTTP = {
  properties: {
    url: { title: 'Url', type: 'string' },
    method: { default: 'GET', enum: ['GET', 'POST'], type: 'string' },
    headers: { additionalProperties: { type: 'string' }, type: 'object' },
    text_body: { anyOf: [{ type: 'string' }, { type: 'null' }], default: null },
    limit: { type: 'integer', minimum: 1 },
    message: { title: 'Message' },
    op: { $ref: '#/$defs/Op' }
  },
  required: ['url'],
  $defs: { Op: { enum: ['put', 'delete'], type: 'string' } }
};

describe('schema forms', () => {
  it('maps JSON Schema properties to fields', () => {
    const fields = formFields(HTTP);
    expect(fields.map(f => [f.name, f.kind, f.required, f.nullable])).toEqual([
      ['url', 'string', true, false],
      ['method', 'enum', false, false],
      ['headers', 'json', false, false],
      ['text_body', 'string', false, true],
      ['limit', 'integer', false, false],
      ['message', 'any', false, false],
      ['op', 'enum', false, false]
    ]);
    expect(fields[6].options).toEqual(['put', 'delete']);
    expect(fields[4].minimum).toBe(1);
  });

  it('reads typed input and says what is wrong', () => {
    const [url, , headers, , limit] = formFields(HTTP);
    expect(parseFieldInput(limit, '3')).toEqual({ value: 3 });
    expect(parseFieldInput(limit, '3.5')).toHaveProperty('error');
    expect(parseFieldInput(headers, '{"a": "b"}')).toEqual({ value: { a: 'b' } });
    expect(parseFieldInput(headers, '{a')).toHaveProperty('error');
    expect(parseFieldInput(url, '')).toEqual({ value: undefined });
    expect(fieldText(headers, { a: 'b' })).toBe('{\n  "a": "b"\n}');
    const message = formFields(HTTP)[5];
    expect(parseFieldInput(message, 'Hi {{ $input.name }}')).toEqual({
      value: 'Hi {{ $input.name }}'
    });
    expect(parseFieldInput(message, '42')).toEqual({ value: 42 });
    expect(parseFieldInput(message, '{"a": [1]}')).toEqual({ value: { a: [1] } });
    expect(parseFieldInput(message, '{not json')).toEqual({ value: '{not json' });
    expect([fieldText(message, 'text'), fieldText(message, 42)]).toEqual(['text', '42']);
  });

  it('tells expressions, templates and literals apart', () => {
    expect(valueKind({ $expr: '$input' })).toBe('expression');
    expect(isExpression({ $expr: '$input', other: 1 })).toBe(false);
    expect(isTemplate('Hi {{ $input.name }}')).toBe(true);
    expect(valueKind('plain')).toBe('literal');
    expect(preview({ $expr: '$nodes.a.result' })).toBe('= $nodes.a.result');
  });
});
