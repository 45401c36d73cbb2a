// Observable Framework configuration. Everything the site needs is bundled from node_modules:
// no npm: imports, no CDN, no web fonts, so the workbench builds and runs with no network.
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
  // No favicon request: the site makes no request it does not need.
  head: `<link rel="icon" href="data:,">`,
  footer: "CXR Workbench: every image is read and analysed on this machine; nothing is uploaded."
};
