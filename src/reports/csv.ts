/**
 * CSV as RFC 4180 writes it (comma, CRLF, a field quoted when it holds a comma, quote or line
 * break, quotes doubled), for the statement and compliance downloads. Free text a customer typed
 * (a description, a username) goes through `textCell`: a spreadsheet runs a cell starting with
 * = + - @ as a formula, so such text gets a leading apostrophe (OWASP "CSV injection"). Amounts
 * are written as they are: "-12.50" is a number, not a formula.
 */
export type CsvCell = string | number | null;

function quoted(cell: CsvCell): string {
  const text = cell === null ? '' : String(cell);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(cells: readonly CsvCell[]): string {
  return `${cells.map(quoted).join(',')}\r\n`;
}

export function csvText(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  return [header, ...rows].map(csvRow).join('');
}

/** Free text made safe to open in a spreadsheet. */
export function textCell(value: string | null): string | null {
  if (value === null) return null;
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}
