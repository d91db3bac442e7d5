/**
 * The parameter convention of workflow files: a literal, an expression `{"$expr": "…"}` (keeps
 * its type), or a template string with `{{ … }}` somewhere inside.
 */
export const EXPR_KEY = '$expr';

export type ValueKind = 'expression' | 'template' | 'literal';

export function isExpression(value: unknown): value is { $expr: string } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return false;
  }
  const keys = Object.keys(value);
  return (
    keys.length === 1 &&
    keys[0] === EXPR_KEY &&
    typeof (value as Record<string, unknown>)[EXPR_KEY] === 'string'
  );
}

export function isTemplate(value: unknown): value is string {
  return typeof value === 'string' && /\{\{[\s\S]*\}\}/.test(value);
}

export function valueKind(value: unknown): ValueKind {
  return isExpression(value) ? 'expression' : isTemplate(value) ? 'template' : 'literal';
}

export function expression(text: string): { $expr: string } {
  return { [EXPR_KEY]: text } as { $expr: string };
}

/** A short one-line rendering of a parameter for node cards and tooltips. */
export function preview(value: unknown, max = 40): string {
  const text = isExpression(value)
    ? `= ${value.$expr}`
    : typeof value === 'string'
      ? value
      : (JSON.stringify(value) ?? '');
  const line = text.replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
