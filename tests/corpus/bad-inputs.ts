/**
 * The bad-input corpus, generated (never committed as binaries): every hostile input and fault the
 * reliability tests use, by issue 12's rows. Each generator is pure and deterministic.
 */

/** Cell values a spreadsheet would run as formulas (OWASP's CSV injection list, and its variants). */
export const formulaCells: readonly string[] = [
  "=1+1",
  '=HYPERLINK("http://203.0.113.1/x","click")',
  "+cmd|' /C calc'!A0",
  "-2+3",
  "@SUM(1+1)*cmd|' /C calc'!A0",
  "\t=1+1",
  "\r=1+1",
  '=cmd|"/c notepad"!A1, with "quotes"'
];
