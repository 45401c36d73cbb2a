/**
 * One loader for the project's own bundles (card.json) and Chester's published folders
 * (config.json + model.json, unchanged). `loadBundle` validates, loads, and warms up.
 */
import * as tf from "@tensorflow/tfjs";
import {Autoencoder} from "../model/autoencoder.js";
import {Classifier} from "../model/classifier.js";
import {findLatentNode, findPooledHead, Graph, type GraphNode} from "../model/graph-inspect.js";
import {chainConcats} from "../model/graph-rewrite.js";
import {decodeFeatureStatistics, FeatureFileError, FeatureOod} from "../ood-features.js";
import {
  CardError,
  chesterNormalisation,
  parseCard,
  parseChesterConfig,
  type AutoencoderSpec,
  type Card,
  type ClassifierSpec
} from "./card.js";
import {BundleError, graphModelHandler, joinPath, readJson, type BundleSource, type ProgressEvent} from "./source.js";

export interface Bundle {
  card: Card;
  classifier: Classifier;
  autoencoder?: Autoencoder;
  /** Feature-space OOD statistics (card.oodFeatures), when the bundle ships them. */
  features?: FeatureOod;
  /** "bundle" for card.json folders, "chester" for Chester's published folders. */
  kind: "bundle" | "chester";
  location: string;
  warmUp: {ms: number; fastPath: {verified: boolean; maxError: number}};
  dispose(): void;
}

export interface LoadOptions {
  /** For Chester folders: the separate autoencoder folder (ae-chest-savedmodel-64-512). */
  ood?: BundleSource;
  onProgress?: (event: ProgressEvent & {model: "classifier" | "ood"}) => void;
}

export async function loadBundle(source: BundleSource, options: LoadOptions = {}): Promise<Bundle> {
  if (await source.exists("card.json")) return loadOwnBundle(source, options);
  if (await source.exists("config.json")) return loadChesterFolder(source, options);
  throw new BundleError(`${source.location} is not a model bundle: it has neither card.json nor a Chester config.json`);
}

async function loadOwnBundle(source: BundleSource, options: LoadOptions): Promise<Bundle> {
  const card = parseCard(await readJson(source, "card.json"), joinPath(source.location, "card.json"));
  const classifierJson = (await readJson(source, card.classifier.path)) as tf.io.ModelJSON;
  checkNodes(new Graph(classifierJson), card.classifier, ["inputNode", "outputNode", "logitsNode", "featureNode"], "classifier");
  const classifierModel = await loadGraph(source, card.classifier.path, (e) => options.onProgress?.({...e, model: "classifier"}));
  let autoencoder: Autoencoder | undefined;
  if (card.ood) {
    checkNodes(new Graph((await readJson(source, card.ood.path)) as tf.io.ModelJSON), card.ood, ["inputNode", "outputNode", "latentNode"], "ood");
    const aeModel = await loadGraph(source, card.ood.path, (e) => options.onProgress?.({...e, model: "ood"}));
    autoencoder = new Autoencoder(aeModel, card.ood);
  }
  const classifier = new Classifier(classifierModel, card.classifier, card.labels);
  let features: FeatureOod | undefined;
  if (card.oodFeatures) {
    const where = joinPath(source.location, card.oodFeatures.path);
    try {
      if (!(await source.exists(card.oodFeatures.path))) throw new BundleError(`${where} is missing (the card's oodFeatures names it)`);
      features = new FeatureOod(decodeFeatureStatistics(await source.readBytes(card.oodFeatures.path), where, classifier.denseKernel.shape[0]));
    } catch (error) {
      classifier.dispose();
      autoencoder?.dispose();
      throw error instanceof FeatureFileError ? new CardError(error.message) : error;
    }
  }
  return finish(card, classifier, autoencoder, "bundle", source.location, features);
}

async function loadChesterFolder(source: BundleSource, options: LoadOptions): Promise<Bundle> {
  const config = parseChesterConfig(await readJson(source, "config.json"), joinPath(source.location, "config.json"));
  const modelJson = (await readJson(source, "model.json")) as tf.io.ModelJSON;
  const graph = new Graph(modelJson);
  const [placeholder] = graph.placeholders();
  if (!placeholder) throw new BundleError(`${joinPath(source.location, "model.json")} has no input placeholder`);
  const shape = graph.placeholderShape(placeholder);
  const nchw = shape[1] === 1 || shape[1] === 3;
  const channels = (nchw ? shape[1] : shape[3]) as 1 | 3;
  let head;
  try {
    head = findPooledHead(graph, config.OUTPUT_NODE);
  } catch (error) {
    throw new BundleError(`${source.location}: cannot find the CAM head: ${(error as Error).message}`);
  }
  const model = await loadGraph(source, "model.json", (e) => options.onProgress?.({...e, model: "classifier"}));
  let featureLayout: "NHWC" | "NCHW";
  if (typeof head.featureLayout === "string") featureLayout = head.featureLayout;
  else {
    const axes = Array.from(model.weights[head.featureLayout.meanAxesWeight]?.[0]?.dataSync() ?? []);
    featureLayout = axes.join() === "2,3" ? "NCHW" : "NHWC";
  }
  const classifier: ClassifierSpec = {
    path: "model.json",
    inputNode: placeholder.name,
    inputLayout: nchw ? "NCHW" : "NHWC",
    inputSize: config.IMAGE_SIZE,
    channels,
    normalisation: chesterNormalisation(config.IMAGE_SCALE),
    outputNode: config.OUTPUT_NODE,
    logitsNode: head.logitsNode,
    featureNode: head.featureNode,
    featureLayout,
    denseKernel: head.denseKernel,
    denseBias: head.denseBias,
    head: "global-average-pool"
  };
  let autoencoder: Autoencoder | undefined;
  let ood: AutoencoderSpec | undefined;
  if (options.ood) {
    const aeJson = (await readJson(options.ood, "model.json")) as tf.io.ModelJSON;
    ood = chesterAutoencoderSpec(new Graph(aeJson), options.ood.location);
    autoencoder = new Autoencoder(await loadGraph(options.ood, "model.json", (e) => options.onProgress?.({...e, model: "ood"})), ood);
  }
  const card: Card = {
    format: "cxr-workbench/bundle@1",
    name: source.location.replace(/\/+$/, "").split("/").pop() || "chester",
    description: "Chester's published model folder, loaded unchanged (config.json + model.json).",
    labels: config.LABELS,
    operatingPoints: config.OP_POINT,
    scaleUpper: config.SCALE_UPPER,
    resize: "crop",
    classifier,
    ood,
    provenance: {source: "Chester (Cohen, Bertin, Frappier 2019), published TF.js model", location: source.location}
  };
  return finish(card, new Classifier(model, classifier, config.LABELS), autoencoder, "chester", source.location);
}

/** Chester's shipped app: a 64x64 autoencoder with tanh output, SSIM on 8x8 windows, predict when > 0.60. */
function chesterAutoencoderSpec(graph: Graph, location: string): AutoencoderSpec {
  const [placeholder] = graph.placeholders();
  if (!placeholder) throw new BundleError(`${location}/model.json has no input placeholder`);
  const shape = graph.placeholderShape(placeholder);
  const consumed = new Set(graph.nodes.flatMap((n) => graph.inputs(n)));
  const output = graph.nodes.find((n) => n.op !== "Const" && !consumed.has(n.name));
  if (!output) throw new BundleError(`${location}/model.json has no output node`);
  let latentNode: string;
  try {
    latentNode = findLatentNode(graph);
  } catch (error) {
    throw new BundleError(`${location}: ${(error as Error).message}`);
  }
  return {
    path: "model.json",
    inputNode: placeholder.name,
    inputLayout: shape[1] === 1 ? "NCHW" : "NHWC",
    inputSize: shape[2]!,
    // A tanh decoder reconstructs [-1, 1]; we read its input as the same range.
    normalisation: "symmetric",
    outputNode: output.name,
    latentNode,
    decision: {score: "ssim8", threshold: 0.6, inDistributionWhen: "above"}
  };
}

function checkNodes<T extends object>(graph: Graph, spec: T, keys: (keyof T)[], what: string) {
  const missing = keys.filter((k) => !graph.has(String(spec[k]))).map((k) => `${String(k)} "${String(spec[k])}"`);
  if (missing.length) throw new CardError(`${what}: the card names nodes the graph does not have: ${missing.join(", ")}`);
}

async function loadGraph(source: BundleSource, path: string, onProgress: (e: ProgressEvent) => void): Promise<tf.GraphModel> {
  try {
    const handler = graphModelHandler(source, path, onProgress);
    const model = await tf.loadGraphModel({
      async load() {
        const artifacts = await handler.load!();
        // Same values, far fewer kernel calls (graph-rewrite.ts).
        chainConcats(artifacts.modelTopology as {node?: GraphNode[]});
        return artifacts;
      }
    });
    // The weights now live on the backend. TF.js keeps the loaded bytes too, for save(), which the
    // workbench never calls: drop that copy (up to 37 MB per bundle) from the peak memory.
    const artifacts = (model as unknown as {artifacts?: tf.io.ModelArtifacts}).artifacts;
    if (artifacts) artifacts.weightData = undefined;
    return model;
  } catch (error) {
    if (error instanceof BundleError) throw error;
    throw new BundleError(`${joinPath(source.location, path)} could not be loaded as a TF.js graph model: ${(error as Error).message}`, {cause: error});
  }
}

/** A smooth synthetic image: exercises every kernel once so the first real image is not slow. */
function warmUpImage(size: number): tf.Tensor2D {
  return tf.tidy(() => {
    const ramp = tf.linspace(0, 1, size);
    return ramp.reshape([size, 1]).mul(ramp.reshape([1, size])).sqrt() as tf.Tensor2D;
  });
}

function finish(card: Card, classifier: Classifier, autoencoder: Autoencoder | undefined, kind: Bundle["kind"], location: string, features?: FeatureOod): Bundle {
  const start = performance.now();
  const grey = warmUpImage(card.classifier.inputSize);
  const input = tf.tidy(() => classifier.toInput(grey));
  let fastPath: {verified: boolean; maxError: number};
  try {
    const outputs = tf.tidy(() => classifier.forward(input).probabilities.shape[1]);
    if (outputs !== card.labels.length)
      throw new CardError(`${location}: the classifier has ${outputs} outputs but the card lists ${card.labels.length} labels`);
    fastPath = classifier.verifyPooledHead(input);
    if (autoencoder) {
      const small = warmUpImage(autoencoder.spec.inputSize);
      tf.tidy(() => {
        autoencoder.reconstruct(small);
      });
      small.dispose();
    }
  } catch (error) {
    classifier.dispose();
    autoencoder?.dispose();
    features?.dispose();
    throw error;
  } finally {
    grey.dispose();
    input.dispose();
  }
  return {
    card,
    classifier,
    autoencoder,
    features,
    kind,
    location,
    warmUp: {ms: performance.now() - start, fastPath},
    dispose() {
      classifier.dispose();
      autoencoder?.dispose();
      features?.dispose();
    }
  };
}

