/** CSV (RFC 4180) for the public downloads, safe to open in a spreadsheet. */

function field(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  // A text cell starting like a formula would run in a spreadsheet; numbers (e.g. -2.5) stay numbers.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv<T extends object>(columns: readonly (keyof T & string)[], rows: readonly T[]): string {
  const lines = [columns.join(',')];
  for (const row of rows) lines.push(columns.map((column) => field(row[column])).join(','));
  return lines.join('\r\n') + '\r\n';
}
