/**
 * Lets `observable build` and `observable preview` run with no network.
 *
 * Framework's client bundle names its optional implicit libraries (React, Leaflet, Arquero...) by
 * npm version, and resolves "latest" against registry.npmjs.org at build time unless a folder
 * `.observablehq/cache/_npm/<name>@<version>` already exists. The workbench never loads those
 * libraries (every page imports what it uses from node_modules, and the browser tests fail on any
 * request off 127.0.0.1), so we pin their versions by creating the empty folders.
 *
 * One of them is loaded: a page that attaches a .csv file gets `d3-dsv` preloaded (FileAttachment's
 * .csv() parser). Its cache entry is bundled here from node_modules, so it is served by the site.
 *
 * DuckDB-wasm's entry module exports getJsDelivrBundles(), which points the engine at
 * cdn.jsdelivr.net; Framework bundles a package's whole entry, so that code would ship. Its cache
 * entry is written here instead (Framework keeps an existing one): only the classes the SQL page
 * uses, tree-shaken, with its own Apache Arrow inlined, and no URL of any host.
 */
import {build} from "esbuild";
import {mkdirSync, readFileSync} from "node:fs";
import path from "node:path";
import {fileURLToPath} from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const PINNED = [
  "@observablehq/plot@0.6.17",
  "@observablehq/sample-datasets@1.0.1",
  "apache-arrow@21.2.0",
  "arquero@8.0.3",
  "d3-dsv@3.0.2",
  "d3@7.9.2",
  "echarts@6.1.0",
  "htl@1.0.0",
  "leaflet@1.9.4",
  "lodash@4.18.1",
  "mapbox-gl@3.32.0",
  "parquet-wasm@0.8.0",
  "react-dom@19.3.1",
  "react@19.3.1",
  "topojson-client@3.1.0"
];
for (const spec of PINNED) mkdirSync(path.join(root, "src/.observablehq/cache/_npm", spec), {recursive: true});

// The d3-dsv in node_modules, bundled to the one ES module Framework expects in its cache.
await build({
  stdin: {contents: 'export * from "d3-dsv";', resolveDir: root},
  bundle: true,
  format: "esm",
  minify: true,
  outfile: path.join(root, "src/.observablehq/cache/_npm/d3-dsv@3.0.2/_esm.js"),
  logLevel: "warning"
});

// DuckDB-wasm: only what src/components/duckdb.ts uses, so no CDN loader ships with the site.
const DUCKDB_EXPORTS = ["AsyncDuckDB", "VoidLogger"];
const duckdbVersion = JSON.parse(readFileSync(path.join(root, "node_modules/@duckdb/duckdb-wasm/package.json"), "utf8")).version;
await build({
  stdin: {contents: `export {${DUCKDB_EXPORTS.join(", ")}} from "@duckdb/duckdb-wasm";`, resolveDir: root},
  bundle: true,
  format: "esm",
  platform: "browser",
  minify: true,
  outfile: path.join(root, `src/.observablehq/cache/_node/@duckdb/duckdb-wasm@${duckdbVersion}/index.js`),
  logLevel: "warning"
});

// The DICOM codecs' Emscripten glue (CommonJS) requires fs and path, only when it runs in Node;
// Framework's own bundle of it would turn those into `import "fs"`, which stops a page from
// loading. Their cache entries are written here with the two modules empty.
const emptyNodeModules = {
  name: "empty-node-builtins",
  setup(b: {onResolve: Function; onLoad: Function}) {
    b.onResolve({filter: /^(fs|path)$/}, (args: {path: string}) => ({path: args.path, namespace: "empty-node-builtin"}));
    b.onLoad({filter: /.*/, namespace: "empty-node-builtin"}, () => ({contents: "module.exports = {};", loader: "js"}));
  }
};
for (const [name, subpath] of [
  ["@cornerstonejs/codec-openjpeg", "decodewasmjs"],
  ["@cornerstonejs/codec-openjph", "wasmjs"],
  ["@cornerstonejs/codec-charls", "decodewasmjs"]
] as const) {
  const version = JSON.parse(readFileSync(path.join(root, "node_modules", name, "package.json"), "utf8")).version;
  await build({
    stdin: {contents: `export {default} from "${name}/${subpath}";`, resolveDir: root},
    bundle: true,
    format: "esm",
    platform: "browser",
    minify: true,
    plugins: [emptyNodeModules as never],
    outfile: path.join(root, `src/.observablehq/cache/_node/${name}@${version}/${subpath}.js`),
    logLevel: "warning"
  });
}
