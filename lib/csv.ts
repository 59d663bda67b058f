/**
 * RFC 4180 CSV, record by record with the number a spreadsheet shows for it (the first record is
 * row 1; a blank record counts, a quoted line break does not start a new row): quoted fields,
 * doubled quotes, CRLF or LF; a UTF-8 BOM is dropped; spaces before an opening quote are allowed.
 * Blank records are left out of the answer.
 */
export function parseCsvRecords(text: string): Array<{ row: number; cells: string[] }> {
  const records: Array<{ row: number; cells: string[] }> = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const src = text.replace(/^\uFEFF/, '');
  const end = () => {
    row.push(field);
    records.push({ row: records.length + 1, cells: row });
    row = [];
    field = '';
  };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"' && src[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      end();
    } else field += c;
  }
  if (field !== '' || row.length > 0) end();
  return records.filter((r) => r.cells.some((f) => f.trim() !== ''));
}

/** The non-blank records of a CSV, as cells. */
export function parseCsv(text: string): string[][] {
  return parseCsvRecords(text).map((r) => r.cells);
}

/** First characters that make Excel, WPS or LibreOffice read a cell as a formula (OWASP, "CSV Injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell; every CSV the product writes goes through here. A string that a spreadsheet would
 * evaluate as a formula (a title such as `=HYPERLINK(...)` is user input) gets a leading `'` and
 * quotes, so it is shown as text and never run. Numbers the product writes itself stay numbers.
 */
export function csvCell(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  if (FORMULA_START.test(v)) return `"'${v.replace(/"/g, '""')}"`;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function toCsv(rows: ReadonlyArray<ReadonlyArray<string | number | null>>): string {
  return rows.map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
