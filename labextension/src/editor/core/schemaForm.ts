/**
 * Form fields from an action's `input_schema` (JSON Schema as pydantic writes it): strings,
 * numbers, integers, booleans and enums get their own inputs; objects and arrays are edited as
 * JSON; a field of any type takes text, read as JSON when it is JSON (`42`, `{"a": 1}`).
 */
export type FieldKind = 'string' | 'number' | 'integer' | 'boolean' | 'enum' | 'json' | 'any';

export interface FormField {
  name: string;
  title: string;
  description: string;
  kind: FieldKind;
  required: boolean;
  nullable: boolean;
  options: Array<string | number | boolean | null>;
  default: unknown;
  minimum?: number;
  maximum?: number;
}

type Schema = Record<string, unknown>;

function schema(value: unknown): Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Schema)
    : {};
}

function resolve(node: Schema, root: Schema): Schema {
  const ref = node.$ref;
  if (typeof ref === 'string' && ref.startsWith('#/')) {
    let target: unknown = root;
    for (const part of ref.slice(2).split('/')) {
      target = schema(target)[part];
    }
    return {
      ...schema(target),
      ...Object.fromEntries(Object.entries(node).filter(([k]) => k !== '$ref'))
    };
  }
  return node;
}

function kindOf(node: Schema): FieldKind {
  if (Array.isArray(node.enum)) {
    return 'enum';
  }
  switch (node.type) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'integer':
      return 'integer';
    case 'boolean':
      return 'boolean';
    case undefined:
      return 'any';
    default:
      return 'json';
  }
}

/** The fields of an object schema in declaration order. */
export function formFields(inputSchema: unknown): FormField[] {
  const root = schema(inputSchema);
  const properties = schema(root.properties);
  const required = new Set(Array.isArray(root.required) ? (root.required as string[]) : []);
  return Object.entries(properties).map(([name, raw]) => {
    let node = resolve(schema(raw), root);
    let nullable = false;
    const variants = Array.isArray(node.anyOf)
      ? (node.anyOf as unknown[]).map(v => resolve(schema(v), root))
      : null;
    if (variants !== null) {
      const others = variants.filter(v => v.type !== 'null');
      nullable = others.length < variants.length;
      node =
        others.length === 1
          ? { ...others[0], ...node, anyOf: undefined }
          : { ...node, type: undefined };
    }
    const kind = kindOf(node);
    const field: FormField = {
      name,
      title: typeof node.title === 'string' ? node.title : name,
      description: typeof node.description === 'string' ? node.description : '',
      kind,
      required: required.has(name),
      nullable,
      options: kind === 'enum' ? (node.enum as FormField['options']) : [],
      default: node.default
    };
    if (typeof node.minimum === 'number') {
      field.minimum = node.minimum;
    }
    if (typeof node.maximum === 'number') {
      field.maximum = node.maximum;
    }
    return field;
  });
}

/** Read what the user typed into a field as the value to write (undefined: leave it out). */
export function parseFieldInput(
  field: FormField,
  raw: string
): { value: unknown } | { error: string } {
  if (raw.trim() === '') {
    return { value: undefined };
  }
  switch (field.kind) {
    case 'number':
    case 'integer': {
      const number = Number(raw);
      if (!Number.isFinite(number) || (field.kind === 'integer' && !Number.isInteger(number))) {
        return {
          error: `${field.title} must be ${field.kind === 'integer' ? 'a whole number' : 'a number'}`
        };
      }
      return { value: number };
    }
    case 'any':
      return {
        value: /^\s*([[{"\d-]|true\b|false\b|null\b)/.test(raw) ? (readJson(raw) ?? raw) : raw
      };
    case 'json':
      try {
        return { value: JSON.parse(raw) as unknown };
      } catch (error) {
        return { error: `not valid JSON: ${(error as Error).message}` };
      }
    default:
      return { value: raw };
  }
}

function readJson(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return undefined;
  }
}

/** The text a field shows for a stored literal value. */
export function fieldText(field: FormField, value: unknown): string {
  if (value === undefined) {
    return '';
  }
  if (field.kind === 'json' || (field.kind === 'any' && typeof value !== 'string')) {
    return JSON.stringify(value, null, 2);
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}
