// Observable Framework configuration. Everything the site needs is bundled from node_modules:
// no npm: imports, no CDN, no web fonts, so the workbench builds and runs with no network.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  // d3-dsv (FileAttachment.csv) and Arrow build parsers with new Function: eval stays allowed; the
  // network rules below are what keeps data on the machine.
  "script-src 'self' 'unsafe-inline' 'unsafe-eval' 'wasm-unsafe-eval' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self' blob: data:",
  "img-src 'self' data: blob:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'"
].join("; ");

export default {
  title: "CXR Workbench",
  root: "src",
  output: "dist",
  // The default theme links Google Fonts; a local-first tool must not call out to anyone.
  globalStylesheets: [],
  // The default theme's CSS (bundled with Framework) plus the workbench's own rules.
  style: "style.css",
  pages: [
    {name: "Analyse", path: "/"},
    {name: "Walkthrough", path: "/walkthrough"},
    {name: "Preprocessing", path: "/preprocessing"},
    {name: "Out-of-distribution", path: "/ood"},
    {name: "Prediction", path: "/prediction"},
    {name: "Explanation", path: "/explanation"},
    {name: "Explanation evaluation", path: "/explanation-evaluation"},
    {name: "SQL", path: "/sql"}
  ],
  pager: true,
  // Links end in .html, so the built site works from any static server (no rewriting of clean URLs).
  cleanUrls: false,
  search: false,
  linkify: true,
  // No favicon request: the site makes no request it does not need. The Content-Security-Policy
  // makes the browser refuse any request off this origin, whatever a library's code would try (the
  // bundled DuckDB-wasm and TF.js carry CDN and extension-repository URLs they never need here):
  // scripts, workers, wasm, fetch/XHR, images, styles and fonts all come from the site itself.
  head: `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}"><link rel="icon" href="data:,">`,
  footer: "CXR Workbench: every image is read and analysed on this machine; nothing is uploaded."
};
