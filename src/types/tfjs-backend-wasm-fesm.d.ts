// The wasm backend's flat ES module build: what pages import, because Framework's bundler would turn
// the package's main (CommonJS, Node-aware) build into static imports of "fs" and "worker_threads".
declare module "@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.fesm.js" {
  export * from "@tensorflow/tfjs-backend-wasm";
}
