/** How the panels show values and times: one place, so every panel says it the same way. */

export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? 'null';
}

/** A short local time with seconds, e.g. "2024-05-01 14:03:07". */
export function shortTime(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) {
    return iso;
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ` +
    `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`
  );
}

/** A value in one line, cut to `max` characters. */
export function oneLine(value: unknown, max = 60): string {
  const text = value === undefined ? 'absent' : (JSON.stringify(value) ?? String(value));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A test id part from free text (ids and type names may hold characters CSS dislikes). */
export function testId(...parts: string[]): string {
  return parts.map(p => p.replace(/[^A-Za-z0-9_.-]/g, '_')).join('-');
}
