/**
 * The workbench's model compute, off the page's main thread. A page starts this worker
 * (src/components/workbench-worker.ts), which loads one model and answers calls with plain
 * arrays and numbers; no tensor crosses the boundary and none outlives a call. Bundled by
 * esbuild into one file (src/data/analysis-worker.js.ts), served by the site itself.
 *
 * Messages in:  {id, method, args}
 * Messages out: {id, progress: {text, fraction}} while working, then {id, result} or {id, error}.
 */
import * as tf from "@tensorflow/tfjs";
import {analyse, analysisTarget, type AnalyseOptions} from "../pipeline/analyse.js";
import {fastestBackend, type BackendName} from "../pipeline/backend.js";
import {loadBundle, type Bundle} from "../pipeline/bundle/load.js";
import {decodePack, packSource} from "../pipeline/bundle/pack.js";
import {folderSources, sameOriginUrl} from "../pipeline/bundle/folder-source.js";
import {urlSource, type BundleSource} from "../pipeline/bundle/source.js";
import {viewImageOf, type ViewImage} from "../pipeline/display-window.js";
import {gateDecision} from "../pipeline/ood-gate.js";
import {blackScores, perturbedViews, timedRawMaps} from "../pipeline/explain/study.js";
import {evaluateFaithfulnessDetailed, type FaithfulnessOptions} from "../pipeline/faithfulness/evaluate-image.js";
import {cascadingRandomisation} from "../pipeline/faithfulness/sanity.js";
import type {ExplanationMethod} from "../pipeline/explain/index.js";
import {blobReader, decodeImageAsync, decodeLargePng, setDicomCodecLocator, type DecodeOptions} from "../pipeline/image/index.js";
import {storedSize, type DecodedImage} from "../pipeline/image/types.js";
import {prepare, type ResizeMode} from "../pipeline/preprocess.js";
import {initBackend} from "../pipeline/wasm-backend.js";
import "../pipeline/webgpu-backend.js";
import {fetchCached} from "../components/site-cache.js";
import {analyseEdited, greyOf} from "../components/walkthrough-compute.js";
import {previewOf, type WhatIfEdits} from "../pipeline/what-if.js";
import {sourceBytes, type ImageSource, type ModelSpec, type WorkerBackend, type WorkerImage, type WorkerModelInfo} from "../components/worker-protocol.js";

let bundle: Bundle | null = null;
let backend: WorkerBackend | null = null;

type Progress = (text: string, fraction?: number) => void;

async function init({wasmPaths, codecWasm = {}, prefer}: {wasmPaths: Record<string, string>; codecWasm?: Record<string, string>; prefer: BackendName[]}): Promise<WorkerBackend> {
  // The DICOM codecs' wasm (JPEG 2000, HTJ2K, JPEG-LS), served by the site: fetched on first need.
  setDicomCodecLocator((fileName) => {
    const url = codecWasm[fileName];
    if (!url) throw new Error(`no served copy of the codec file ${fileName}`);
    return url;
  });
  // The fastest backend that starts here, by a short measurement.
  backend = await fastestBackend(prefer, (name) => initBackend({prefer: [name], wasmPaths}));
  return backend;
}

async function loadModel(spec: ModelSpec, progress: Progress): Promise<WorkerModelInfo> {
  const start = performance.now();
  bundle?.dispose();
  bundle = null;
  let fromCache = false;
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  const onFile = (event: {model: string; loadedFiles: number; totalFiles: number}) =>
    progress(`Reading ${event.model} weights: shard ${Math.min(event.loadedFiles + 1, event.totalFiles)} of ${event.totalFiles}`, event.loadedFiles / Math.max(1, event.totalFiles));
  let description: string;
  let source: BundleSource;
  if (spec.kind === "site") {
    description = spec.title;
    const bytes = await fetchCached(spec.href, (p) => {
      fromCache = p.fromCache;
      const total = p.totalBytes || spec.size || 0;
      progress(
        p.fromCache ? `Read ${mb(p.loadedBytes)} MB from this browser's cache` : total ? `Reading the model from this machine: ${mb(p.loadedBytes)} of ${mb(total)} MB` : `Reading the model from this machine: ${mb(p.loadedBytes)} MB`,
        total ? p.loadedBytes / total : undefined
      );
    }, spec.size);
    progress("Building the graphs and warming up");
    source = packSource(decodePack(bytes, spec.name), spec.name);
    bundle = await loadBundle(source);
  } else if (spec.kind === "folder") {
    const sources = folderSources(spec.files);
    description = sources.description;
    source = sources.model;
    bundle = await loadBundle(sources.model, {ood: sources.ood, onProgress: onFile});
  } else {
    const model = sameOriginUrl(spec.model, spec.base);
    const ood = spec.ood ? sameOriginUrl(spec.ood, spec.base) : undefined;
    description = ood ? `${model} with ${ood}` : model;
    source = urlSource(model);
    bundle = await loadBundle(source, {ood: ood ? urlSource(ood) : undefined, onProgress: onFile});
  }
  const cardSha256 = await cardDigest(source, bundle.kind);
  progress("Ready", 1);
  return {
    card: bundle.card,
    cardSha256,
    kind: bundle.kind,
    description,
    loadMs: performance.now() - start,
    fromCache,
    fastPathVerified: bundle.warmUp.fastPath.verified,
    oodDecision: gateDecision(bundle.card) ?? bundle.autoencoder?.spec.decision ?? null,
    oodInputSize: bundle.autoencoder?.spec.inputSize ?? null,
    backend: backend ?? {name: tf.getBackend() as BackendName, probeMs: {}, reason: "default"}
  };
}

function need(): Bundle {
  if (!bundle) throw new Error("no model is loaded in the worker");
  return bundle;
}

/**
 * The decoded image without its pixels (which stay here): what a page shows about it. The size is
 * the stored image's, also for one too large to hold (decoded reduced: `info.reducedBy`).
 */
function describe(decoded: DecodedImage): WorkerImage["decoded"] {
  const {width, height} = storedSize(decoded);
  return {width, height, channels: decoded.channels, format: decoded.format, bitDepth: decoded.bitDepth, info: decoded.info};
}

/** Square grey pixels of the image at `size`, as the model would see them with `resize`. */
function squarePixels(decoded: DecodedImage, size: number, resize: ResizeMode): Float32Array {
  const prepared = prepare(decoded, size, resize);
  try {
    return prepared.pixels.dataSync().slice() as Float32Array;
  } finally {
    prepared.pixels.dispose();
  }
}

/**
 * The viewer's copy of an image (display only; pipeline/display-window.ts): for a DICOM whose file
 * gives a window or VOI LUT, the file is decoded a second time without it, so the viewer can show
 * what the window clips.
 */
async function viewOf(decoded: DecodedImage, bytes: Uint8Array | null, name: string, viewMax: number): Promise<ViewImage> {
  const windowed = bytes && decoded.format === "dicom" && decoded.channels === 1 && /^(window|VOI LUT)/.test(String(decoded.info.voi));
  return viewImageOf(decoded, windowed ? await decodeImageAsync(bytes, {name, fileVoi: false}) : null, viewMax);
}

/** Opened files at least this large are first tried as a PNG decoded reduced, read in slices. */
const SLICED_FILE_BYTES = 8 * 2 ** 20;

/**
 * An image source decoded; `bytes` is the file where it was read whole. A large PNG that is decoded
 * reduced is read from its File in slices (FileReaderSync) and never held whole: a 54 MB file would
 * otherwise sit in memory beside its decode.
 */
async function decodeSource(source: ImageSource, options: DecodeOptions): Promise<{decoded: DecodedImage; bytes: Uint8Array | null}> {
  if (source instanceof Blob && source.size >= SLICED_FILE_BYTES) {
    const reader = blobReader(source);
    const decoded = reader ? decodeLargePng(reader, options) : null;
    if (decoded) return {decoded, bytes: null};
  }
  const bytes = await sourceBytes(source);
  return {decoded: await decodeImageAsync(bytes, options), bytes};
}

/**
 * Decode, analyse, and the square the page draws maps over (`displaySize`, default the model's
 * input); with `viewMax`, the viewer's copy of the image too (at most that many pixels a side).
 */
async function analyseImage({source, name, options, displaySize, viewMax}: {source: ImageSource; name: string; options: AnalyseOptions; displaySize?: number; viewMax?: number}): Promise<WorkerImage> {
  const model = need();
  const start = performance.now();
  const size = displaySize ?? model.card.classifier.inputSize;
  // A huge image is decoded reduced, with exact squares for the model and for the display square.
  const {decoded, bytes} = await decodeSource(source, {name, reduceFor: analysisTarget(model, options.resize, [size])});
  const decodeMs = performance.now() - start;
  const analysis = analyse(model, decoded, options);
  const view = viewMax ? await viewOf(decoded, bytes, name, viewMax) : undefined;
  return {name, decoded: describe(decoded), analysis, size, pixels: squarePixels(decoded, size, analysis.resize), timings: {decode: decodeMs, ...analysis.timings}, ...(view ? {view} : {})};
}

/** SHA-256 of the model's card.json (or Chester's config.json): recalibration files name it. */
async function cardDigest(source: BundleSource, kind: "bundle" | "chester"): Promise<string> {
  // The loader already knows which file the folder has: asking the server again would be one more request (a 404 for Chester's).
  const bytes = await source.readBytes(kind === "bundle" ? "card.json" : "config.json");
  const digest = await crypto.subtle.digest("SHA-256", bytes.slice().buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * What the Preprocessing page shows of one image, without a model: the grey original (reduced to
 * at most `displayMax` px a side for drawing), the region that becomes the square inputs (in the
 * original's coordinates), and the square inputs themselves.
 */
async function preprocessImage({source, name, sizes, mode, displayMax = 768}: {source: ImageSource; name: string; sizes: number[]; mode: ResizeMode; displayMax?: number}) {
  const {decoded} = await decodeSource(source, {name, reduceFor: {sizes, mode}});
  const squares = sizes.map((size) => {
    const prepared = prepare(decoded, size, mode);
    try {
      return {size, box: prepared.box, pixels: prepared.pixels.dataSync().slice() as Float32Array};
    } finally {
      prepared.pixels.dispose();
    }
  });
  // Drawn from the pixels held (a reduced copy for a huge image); `scale` maps the stored image's
  // pixels (the boxes) to the drawing.
  const held = Math.min(1, displayMax / Math.max(decoded.width, decoded.height));
  const width = Math.max(1, Math.round(decoded.width * held));
  const height = Math.max(1, Math.round(decoded.height * held));
  const scale = width / storedSize(decoded).width;
  const grey = tf.tidy(() => {
    const image = tf.tensor3d(decoded.data, [decoded.height, decoded.width, decoded.channels]);
    const g = decoded.channels === 1 ? image : image.mul(tf.tensor1d([0.299, 0.587, 0.114])).sum(-1, true);
    return (held < 1 ? tf.image.resizeBilinear(g as tf.Tensor3D, [height, width], false, true) : g).reshape([height * width]);
  });
  try {
    return {decoded: describe(decoded), grey: grey.dataSync().slice() as Float32Array, greyWidth: width, greyHeight: height, scale, squares};
  } finally {
    grey.dispose();
  }
}

/** The walkthrough's image, decoded once and kept while its edits change (keyed by name and bytes). */
let walkthroughImage: {key: string; decoded: DecodedImage} | null = null;

async function walkthroughDecoded(bytes: Uint8Array | undefined, name: string): Promise<DecodedImage> {
  if (bytes) {
    const key = `${name}|${bytes.length}|${bytes[0]}|${bytes[bytes.length >> 1]}|${bytes[bytes.length - 1]}`;
    // A huge image is edited and analysed at its reduced copy's resolution (at most 2048 px a side).
    if (walkthroughImage?.key !== key) walkthroughImage = {key, decoded: await decodeImageAsync(bytes, {name, ...(bundle ? {reduceFor: analysisTarget(bundle)} : {})})};
  }
  if (!walkthroughImage) throw new Error("the walkthrough has no image yet");
  return walkthroughImage.decoded;
}

/** The walkthrough's image as decoded (facts) and in grey for its controls (at most `previewMax` px a side). */
async function walkthroughOpen({source, name, previewMax = 512}: {source: ImageSource; name: string; previewMax?: number}) {
  const decoded = await walkthroughDecoded(await sourceBytes(source), name);
  return {decoded: describe(decoded), grey: previewOf(greyOf(decoded), previewMax)};
}

/** One edited analysis of the walkthrough's image; the edited image comes back as a preview. */
async function walkthroughAnalyse({name, edits, options, previewMax = 512}: {name: string; edits: WhatIfEdits; options: AnalyseOptions; previewMax?: number}) {
  const result = await analyseEdited(need(), await walkthroughDecoded(undefined, name), edits, options);
  return {...result, edited: previewOf(result.edited, previewMax), editedSize: {width: result.edited.width, height: result.edited.height}};
}

const STUDY = {
  timedRawMaps: (pixels: Float32Array, size: number, classIndex: number, methods: Parameters<typeof timedRawMaps>[4], options?: Parameters<typeof timedRawMaps>[5]) =>
    timedRawMaps(need().classifier, pixels, size, classIndex, methods, options),
  perturbedViews: (pixels: Float32Array, size: number, maps: Parameters<typeof perturbedViews>[3], classIndex: number, alpha: number) =>
    perturbedViews(need().classifier, pixels, size, maps, classIndex, alpha),
  blackScores: (pixels: Float32Array, size: number, maps: Parameters<typeof blackScores>[3], classIndex: number, alphas: number[]) =>
    blackScores(need().classifier, pixels, size, maps, classIndex, alphas)
};

async function handle(method: string, args: unknown[], progress: Progress): Promise<unknown> {
  switch (method) {
    case "init":
      return init(args[0] as never);
    case "loadModel":
      return loadModel(args[0] as ModelSpec, progress);
    case "analyse":
      return analyseImage(args[0] as never);
    case "preprocess":
      return preprocessImage(args[0] as never);
    case "walkthroughOpen":
      return walkthroughOpen(args[0] as never);
    case "walkthroughAnalyse":
      return walkthroughAnalyse(args[0] as never);
    case "faithfulness": {
      // Every faithfulness metric of the given maps (at the input size), with the curves' points.
      const [pixels, size, maps, classIndex, options] = args as [Float32Array, number, Record<string, Float32Array>, number, FaithfulnessOptions];
      return evaluateFaithfulnessDetailed(need().classifier, pixels, size, maps, classIndex, options);
    }
    case "sanity": {
      // The cascading randomisation, one progress message per block randomised.
      const [pixels, size, classIndex, methods] = args as [Float32Array, number, number, ExplanationMethod[]];
      return cascadingRandomisation(need().classifier, pixels, size, classIndex, methods, {
        onStep: (done, total, block) => progress(`Randomised ${block} (${done} of ${total} blocks, head first)`, done / total)
      });
    }
    case "memory":
      return {numTensors: tf.memory().numTensors, numBytes: tf.memory().numBytes};
    case "dispose":
      bundle?.dispose();
      bundle = null;
      return null;
    default:
      if (method in STUDY) return (STUDY[method as keyof typeof STUDY] as (...a: unknown[]) => unknown)(...args);
      throw new Error(`the analysis worker has no method ${method}`);
  }
}

// One call at a time, in order: TF.js work is synchronous, and a queue keeps replies in order.
let queue: Promise<void> = Promise.resolve();
self.onmessage = (event: MessageEvent<{id: number; method: string; args: unknown[]}>) => {
  const {id, method, args} = event.data;
  queue = queue.then(async () => {
    const progress: Progress = (text, fraction) => self.postMessage({id, progress: {text, fraction}});
    try {
      self.postMessage({id, result: await handle(method, args, progress)});
    } catch (error) {
      const e = error as Error & {code?: string};
      self.postMessage({id, error: {name: e?.name ?? "Error", message: e?.message ?? String(error), code: e?.code}});
    }
  });
};
