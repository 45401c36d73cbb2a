/**
 * Registers TF.js's WebGPU backend (npm @tensorflow/tfjs-backend-webgpu, the same 4.22 line as
 * @tensorflow/tfjs). The package registers it only where `navigator.gpu` exists, and a browser
 * without a GPU gives no adapter: backend.ts's fastestBackend checks both before measuring it.
 * Imported by the analysis worker only (Node has no WebGPU).
 */
import "@tensorflow/tfjs-backend-webgpu";
