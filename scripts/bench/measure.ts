/**
 * The benchmark's measurements, the same code in Node and in Chromium (bundled by esbuild): load a
 * model, then time every stage of the pipeline on one image, each a median of `runs` after a
 * warm-up. Browser-safe: no Node imports; the caller gives the sources and the decoded image.
 */
import * as tf from "@tensorflow/tfjs";
import {getThreadsCount} from "@tensorflow/tfjs-backend-wasm";
import {analyse} from "../../src/pipeline/analyse.js";
import {loadBundle, type Bundle} from "../../src/pipeline/bundle/load.js";
import type {BundleSource} from "../../src/pipeline/bundle/source.js";
import {explainTensors, saliencyMap, type ExplanationMethod} from "../../src/pipeline/explain/index.js";
import type {DecodedImage} from "../../src/pipeline/image/types.js";
import {setFastConvInputGradient} from "../../src/pipeline/model/fast-conv-gradient.js";
import {prepare} from "../../src/pipeline/preprocess.js";

export interface Stat {
  median: number;
  min: number;
  max: number;
  n: number;
}

export function stat(samples: number[]): Stat {
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const median = n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
  return {median, min: sorted[0]!, max: sorted[n - 1]!, n};
}

/** Stage names, in the order the table prints them. */
export const STAGES = [
  "load",
  "warmUp",
  "preprocess",
  "ood",
  "predict",
  "forward",
  "saliency",
  "cam",
  "gradcam",
  "gradcampp",
  "camGradientPath",
  "gradcamGradientPath",
  "gradcamppGradientPath",
  "evaluate",
  "analysis",
  "gradientTfjs"
] as const;
export type Stage = (typeof STAGES)[number];

export const STAGE_LABELS: Record<Stage, string> = {
  load: "model load (read + parse + upload)",
  warmUp: "warm-up (first run, fast-path check)",
  preprocess: "preprocessing (to classifier + OOD sizes)",
  ood: "OOD: autoencoder + scores",
  predict: "prediction (forward + features)",
  forward: "forward pass alone",
  saliency: "saliency (our input gradient)",
  cam: "CAM, fast path",
  gradcam: "Grad-CAM, fast path",
  gradcampp: "Grad-CAM++, fast path",
  camGradientPath: "CAM, gradient path",
  gradcamGradientPath: "Grad-CAM, gradient path",
  gradcamppGradientPath: "Grad-CAM++, gradient path",
  evaluate: "BAD evaluation (3 maps x 5 images)",
  analysis: "whole analysis (prep+OOD+pred+4 maps)",
  gradientTfjs: "input gradient, TF.js's own (Chester)"
};

export interface KernelTime {
  name: string;
  calls: number;
  ms: number;
}

export interface ModelFigures {
  model: string;
  inputSize: number;
  outputs: number;
  batchable: boolean;
  fastPathVerified: boolean;
  stages: Partial<Record<Stage, Stat>>;
  /** Kernels run by the fast CAM family (features given): no backward pass means no gradient kernel. */
  camKernels?: {count: number; gradientKernels: string[]};
  /** Per-kernel times (tf.profile) of one saliency map and of one forward pass, when asked. */
  profile?: {saliency: KernelTime[]; forward: KernelTime[]; saliencyTotalMs: number; forwardTotalMs: number};
}

export interface MeasureOptions {
  /** Timed runs per stage after one warm-up run. */
  runs: number;
  /** Stages to leave out (slow ones on a slow backend). */
  skip?: Stage[];
  /** Measure TF.js's own input gradient (Chester's reference). */
  tfjsGradient?: boolean;
  /** Collect per-kernel profiles. */
  profile?: boolean;
  /** Runs of the TF.js gradient (default `runs`; it is the slowest stage). */
  tfjsGradientRuns?: number;
  /** Runs of the BAD evaluation (default `runs`), and whether a warm-up run precedes them. */
  evaluateRuns?: number;
  evaluateWarmUp?: boolean;
  /** Loads timed (default `runs`; each is followed by a warm-up run, so slow on a slow backend). */
  loadRuns?: number;
  /** Runs of the whole analysis and of the gradient-path CAM family (default `runs`). */
  analysisRuns?: number;
  onProgress?: (message: string) => void;
}

export interface ModelSpec {
  name: string;
  source: BundleSource;
  ood?: BundleSource;
}

const now = () => performance.now();

/** `runs` timings of `work` after `warm` untimed runs. */
function repeat(runs: number, work: () => void, warm = 1): number[] {
  for (let i = 0; i < warm; i++) work();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = now();
    work();
    times.push(now() - start);
  }
  return times;
}

function kernelTimes(info: Awaited<ReturnType<typeof tf.profile>>): {kernels: KernelTime[]; total: number} {
  const by = new Map<string, KernelTime>();
  let total = 0;
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
    const entry = by.get(k.name) ?? {name: k.name, calls: 0, ms: 0};
    entry.calls++;
    entry.ms += ms;
    total += ms;
    by.set(k.name, entry);
  }
  return {kernels: [...by.values()].sort((a, b) => b.ms - a.ms), total};
}

/** Loads `runs` times (each disposed) after a first load, for the load figures, the last one kept. */
export async function loadTimed(spec: ModelSpec, runs: number): Promise<{bundle: Bundle; load: number[]; warmUp: number[]}> {
  const load: number[] = [];
  const warmUp: number[] = [];
  for (let i = 0; i <= runs; i++) {
    const start = now();
    const bundle = await loadBundle(spec.source, spec.ood ? {ood: spec.ood} : {});
    const total = now() - start;
    load.push(total - bundle.warmUp.ms);
    warmUp.push(bundle.warmUp.ms);
    // With runs = 0 the one load is the figure (files read cold, kernels compiled the first time).
    if (i === runs) return runs ? {bundle, load: load.slice(1), warmUp: warmUp.slice(1)} : {bundle, load, warmUp};
    bundle.dispose();
  }
  throw new Error("unreachable");
}

/**
 * Every stage for one model on one image. The first load also pays for reading files cold, so the
 * load figures are the `runs` loads after it.
 */
export async function measureModel(spec: ModelSpec, image: DecodedImage, options: MeasureOptions): Promise<ModelFigures> {
  const {runs} = options;
  const skip = new Set(options.skip ?? []);
  const say = options.onProgress ?? (() => {});
  const samples: Partial<Record<Stage, number[]>> = {};
  const add = (stage: Stage, values: number[]) => (samples[stage] = [...(samples[stage] ?? []), ...values]);

  const loadRuns = options.loadRuns ?? runs;
  say(`${spec.name}: loading ${loadRuns + 1} times`);
  const {bundle, load, warmUp} = await loadTimed(spec, loadRuns);
  add("load", load);
  add("warmUp", warmUp);
  const {classifier} = bundle;
  try {
    // The whole analysis: preprocessing, OOD, prediction, the four maps (our fast paths).
    if (!skip.has("analysis")) {
      const n = options.analysisRuns ?? runs;
      say(`${spec.name}: whole analysis x ${n + 1}`);
      const analysisRuns: {wall: number; timings: Record<string, number>}[] = [];
      for (let i = 0; i <= n; i++) {
        const start = now();
        const {timings} = analyse(bundle, image, {predictRejected: true});
        analysisRuns.push({wall: now() - start, timings});
      }
      analysisRuns.shift(); // the warm-up run
      add("analysis", analysisRuns.map((r) => r.wall));
      // Saliency is timed beside the forward pass below, unless left out there (WebGL: its own minutes).
      for (const stage of ["preprocess", "ood", "predict", ...(skip.has("saliency") ? (["saliency"] as const) : []), "cam", "gradcam", "gradcampp"] as const)
        if (analysisRuns.every((r) => r.timings[stage] !== undefined)) add(stage, analysisRuns.map((r) => r.timings[stage]!));
    }

    const {pixels} = prepare(image, classifier.spec.inputSize, bundle.card.resize);
    const input = tf.tidy(() => classifier.toInput(pixels));
    try {
      if (!skip.has("forward")) {
        // Each forward pass followed by a saliency map: on a busy machine both see the same load,
        // so their ratio holds better than their times.
        const withSaliency = !skip.has("saliency");
        say(`${spec.name}: forward pass${withSaliency ? " and saliency map" : ""} x ${runs + 1}`);
        const forward: number[] = [];
        const saliency: number[] = [];
        for (let i = 0; i <= runs; i++) {
          let start = now();
          tf.tidy(() => (classifier.model.execute({[classifier.spec.inputNode]: input}, classifier.spec.outputNode) as tf.Tensor).dataSync());
          const f = now() - start;
          start = now();
          if (withSaliency) tf.tidy(() => saliencyMap(classifier, pixels).dataSync());
          const s = now() - start;
          if (i === 0) continue; // the warm-up run
          forward.push(f);
          if (withSaliency) saliency.push(s);
        }
        add("forward", forward);
        if (saliency.length) add("saliency", saliency);
      }

      if (!skip.has("camGradientPath")) {
        const n = options.analysisRuns ?? runs;
        say(`${spec.name}: CAM family by the gradient path x ${n + 1}`);
        const gradientRuns: Record<string, number>[] = [];
        repeat(n + 1, () => gradientRuns.push(analyse(bundle, image, {predictRejected: true, methods: ["cam", "gradcam", "gradcampp"], gradientPath: "gradient"}).timings), 0);
        gradientRuns.shift();
        add("camGradientPath", gradientRuns.map((t) => t.cam!));
        add("gradcamGradientPath", gradientRuns.map((t) => t.gradcam!));
        add("gradcamppGradientPath", gradientRuns.map((t) => t.gradcampp!));
      }

      if (!skip.has("evaluate")) {
        const n = options.evaluateRuns ?? runs;
        const warm = options.evaluateWarmUp ?? true;
        say(`${spec.name}: BAD evaluation x ${n + (warm ? 1 : 0)}${classifier.batchable ? "" : " (graph fixed at batch 1: 15 single passes)"}`);
        const evalRuns: number[] = [];
        repeat(n + (warm ? 1 : 0), () => evalRuns.push(analyse(bundle, image, {predictRejected: true, methods: ["cam", "gradcam", "gradcampp"], evaluateAlphas: [5, 10, 20, 40]}).timings.evaluate!), 0);
        add("evaluate", warm ? evalRuns.slice(1) : evalRuns);
      }

      if (options.tfjsGradient && !skip.has("gradientTfjs")) {
        const n = options.tfjsGradientRuns ?? runs;
        say(`${spec.name}: input gradient with TF.js's own Conv2DBackpropInput x ${n + 1}`);
        setFastConvInputGradient(false);
        try {
          add("gradientTfjs", repeat(n, () => tf.tidy(() => saliencyMap(classifier, pixels).dataSync())));
        } finally {
          setFastConvInputGradient(true);
        }
      }

      // The fast CAM family: which kernels run once the features are there.
      const features = tf.tidy(() => classifier.forward(input).features);
      let camKernels: ModelFigures["camKernels"];
      try {
        const methods: ExplanationMethod[] = ["cam", "gradcam", "gradcampp"];
        const info = await tf.profile(() => {
          const maps = explainTensors(classifier, pixels, 0, methods, {features, path: "auto"});
          tf.dispose(Object.values(maps));
        });
        const names = info.kernels.map((k) => k.name);
        camKernels = {count: names.length, gradientKernels: [...new Set(names.filter((n) => /Grad|Backprop/i.test(n)))]};
      } finally {
        features.dispose();
      }

      let profile: ModelFigures["profile"];
      if (options.profile) {
        say(`${spec.name}: per-kernel profile of one saliency map and one forward pass`);
        const saliency = kernelTimes(await tf.profile(() => tf.tidy(() => void saliencyMap(classifier, pixels).dataSync())));
        const forward = kernelTimes(
          await tf.profile(() => tf.tidy(() => void (classifier.model.execute({[classifier.spec.inputNode]: input}, classifier.spec.outputNode) as tf.Tensor).dataSync()))
        );
        profile = {saliency: saliency.kernels, forward: forward.kernels, saliencyTotalMs: saliency.total, forwardTotalMs: forward.total};
      }

      const stages: Partial<Record<Stage, Stat>> = {};
      for (const stage of STAGES) if (samples[stage]?.length) stages[stage] = stat(samples[stage]!);
      return {
        model: spec.name,
        inputSize: classifier.spec.inputSize,
        outputs: classifier.outputs,
        batchable: classifier.batchable,
        fastPathVerified: classifier.fastPathVerified,
        stages,
        camKernels,
        profile
      };
    } finally {
      tf.dispose([input, pixels]);
    }
  } finally {
    bundle.dispose();
  }
}

/** What the backend runs on (wasm SIMD / threads, WebGL version), for the table's header. */
export function backendFlags(): Record<string, string | number | boolean> {
  const flags: Record<string, string | number | boolean> = {backend: tf.getBackend()};
  if (tf.getBackend() === "wasm") flags.threads = getThreadsCount();
  const names = tf.getBackend() === "webgl" ? ["WEBGL_VERSION", "WEBGL_RENDER_FLOAT32_ENABLED"] : ["WASM_HAS_SIMD_SUPPORT", "WASM_HAS_MULTITHREAD_SUPPORT"];
  for (const flag of names) {
    try {
      const value = tf.env().get(flag);
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") flags[flag] = value;
    } catch {
      // not registered on this backend
    }
  }
  return flags;
}
