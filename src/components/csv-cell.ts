/**
 * One CSV cell, safe to open in a spreadsheet. A cell starting with =, +, -, @, tab or carriage
 * return is read by Excel, LibreOffice and Sheets as a formula ("CSV injection": a file name such as
 * `=HYPERLINK("http://…")` in an audit table would become a live link or a command). As OWASP
 * advises, such a cell is prefixed with a single quote (so it shows as text) and quoted; the quote
 * rules are RFC 4180's. Numbers are written as numbers: a negative value cannot carry a formula.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A plain decimal number as text ("-0.25", "1e-3"): data, not a formula. */
const PLAIN_NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  let text = value instanceof Date ? value.toISOString() : String(value);
  const formula = FORMULA_START.test(text) && !PLAIN_NUMBER.test(text);
  if (formula) text = `'${text}`;
  return formula || /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
