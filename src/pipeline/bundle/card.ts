/**
 * The model card (`card.json`): everything the pipeline needs to run a bundle, and what a user
 * needs to trust it. Chester's published folders (`config.json`) are translated into the same shape.
 */

/** How pixel intensities in [0, 1] become model input: (pixel - mean) / std, per channel. */
export type Normalisation =
  | "unit" // [0, 1] unchanged
  | "symmetric" // [-1, 1]
  | "imagenet" // ImageNet mean/std (grey replicated to 3 channels first)
  | "xrv" // torchxrayvision: [-1024, 1024]
  | {mean: number[]; std: number[]};

export type Layout = "NHWC" | "NCHW";
export type OodScoreName = "l1" | "l2" | "ssim" | "ssim8" | "latent";
/** The autoencoder's scores and the classifier's feature-space scores (ood-features.ts). */
export type GateScoreName = OodScoreName | "mahalanobis" | "knn" | "energy" | "msp";
export const GATE_SCORE_NAMES: GateScoreName[] = ["l1", "l2", "ssim", "ssim8", "latent", "mahalanobis", "knn", "energy", "msp"];

export interface GraphNodes {
  /** Placeholder that takes the image. */
  input: string;
  /** Output node(s) to execute. */
  output: string;
}

export interface ClassifierSpec {
  /** model.json of a TF.js graph model, relative to the bundle folder. */
  path: string;
  inputNode: string;
  inputLayout: Layout;
  /** Input side in pixels (square). */
  inputSize: number;
  /** 1 for grey input, 3 when the grey image is replicated into RGB. */
  channels: 1 | 3;
  normalisation: Normalisation;
  /** Sigmoid outputs (probabilities). */
  outputNode: string;
  /** Pre-sigmoid outputs: saliency and the CAM family use these. */
  logitsNode: string;
  /** Last convolutional feature map (the CAM family's A^k). */
  featureNode: string;
  featureLayout: Layout;
  /** Weight names of the final dense layer: kernel [K, C] and bias [C]. */
  denseKernel: string;
  denseBias?: string;
  /**
   * "global-average-pool": logits = mean_xy(features) . W + b, which gives the CAM family its
   * no-backward-pass fast path. The loader checks the claim numerically at warm-up.
   */
  head: "global-average-pool" | "other";
}

export interface OodDecision {
  score: GateScoreName;
  threshold: number;
  /** Which side of the threshold counts as in-distribution. */
  inDistributionWhen: "above" | "below";
}

export interface AutoencoderSpec {
  path: string;
  inputNode: string;
  inputLayout: Layout;
  inputSize: number;
  normalisation: Normalisation;
  /** Reconstruction, in the same scale as the normalised input. */
  outputNode: string;
  /** Encoder output; its Euclidean norm is the latent score. */
  latentNode: string;
  decision: OodDecision;
}

export interface Card {
  format: "cxr-workbench/bundle@1";
  name: string;
  description?: string;
  /** One per classifier output, in output order; "" marks an output that is not used. */
  labels: string[];
  /** Per output: the raw score that calibrates to 0.5 (Youden's J on a validation split). */
  operatingPoints: number[];
  /** Chester's SCALE_UPPER: an extra stretch of calibrated values above 0.6. */
  scaleUpper?: number;
  /** How images are fitted to the square input: "crop" (scale and centre-crop) or "stretch". */
  resize: "crop" | "stretch";
  classifier: ClassifierSpec;
  ood?: AutoencoderSpec;
  /** Feature-space OOD statistics (ood-features.ts), made by `npm run ood-stats`. */
  oodFeatures?: {path: string};
  /**
   * The OOD gate over every score: one decision per score (each threshold accepts a share of the
   * validation split) and the default, chosen on validation data. Without it, `ood.decision` rules.
   */
  oodGate?: {default: GateScoreName; decisions: OodDecision[]; chosenBy?: string};
  /** Where the weights come from: data, training command, hash, or "Chester published model". */
  provenance?: Record<string, unknown>;
  /** Measured results (AUCs, OOD AUROC...) and how they were produced. */
  metrics?: Record<string, unknown>;
}

export class CardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CardError";
  }
}

const NORMALISATIONS: Record<Exclude<Normalisation, object>, {mean: number[]; std: number[]}> = {
  unit: {mean: [0], std: [1]},
  symmetric: {mean: [0.5], std: [0.5]},
  imagenet: {mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225]},
  xrv: {mean: [0.5], std: [1 / 2048]}
};

/** Per-channel mean and std of a normalisation, for `channels` channels. */
export function normalisationConstants(normalisation: Normalisation, channels: number): {mean: number[]; std: number[]} {
  const {mean, std} = typeof normalisation === "string" ? NORMALISATIONS[normalisation] : normalisation;
  if (!mean || !std) throw new CardError(`unknown normalisation ${JSON.stringify(normalisation)}`);
  const pick = (values: number[]) =>
    values.length === channels ? values
    : values.length === 1 ? Array(channels).fill(values[0])
    // A 3-channel constant on a grey input: the mean over channels is what a grey pixel sees.
    : channels === 1 ? [values.reduce((a, b) => a + b, 0) / values.length]
    : (() => { throw new CardError(`normalisation has ${values.length} channels, the model ${channels}`); })();
  return {mean: pick(mean), std: pick(std)};
}

/** Validate a parsed card.json, listing every problem at once. */
export function parseCard(json: unknown, where = "card.json"): Card {
  const problems: string[] = [];
  const card = json as Card;
  const need = (ok: unknown, message: string) => { if (!ok) problems.push(message); };
  need(card && typeof card === "object", "is not a JSON object");
  if (problems.length) throw new CardError(`${where}: ${problems.join("; ")}`);
  need(card.format === "cxr-workbench/bundle@1", `format must be "cxr-workbench/bundle@1", got ${JSON.stringify(card.format)}`);
  need(typeof card.name === "string" && card.name.length > 0, "name is missing");
  need(Array.isArray(card.labels) && card.labels.every((l) => typeof l === "string"), "labels must be a list of strings");
  need(
    Array.isArray(card.operatingPoints) && card.operatingPoints.length === card.labels?.length,
    `operatingPoints must have one value per label (${card.labels?.length ?? 0})`
  );
  (card.operatingPoints ?? []).forEach((op, i) =>
    need(typeof op === "number" && op > 0 && op < 1, `operatingPoints[${i}] = ${op} is not in (0, 1)`)
  );
  need(card.resize === "crop" || card.resize === "stretch", `resize must be "crop" or "stretch"`);
  const c = card.classifier;
  need(c && typeof c === "object", "classifier is missing");
  if (c) {
    for (const key of ["path", "inputNode", "outputNode", "logitsNode", "featureNode", "denseKernel"] as const)
      need(typeof c[key] === "string" && c[key].length > 0, `classifier.${key} is missing`);
    need(c.inputLayout === "NHWC" || c.inputLayout === "NCHW", "classifier.inputLayout must be NHWC or NCHW");
    need(c.featureLayout === "NHWC" || c.featureLayout === "NCHW", "classifier.featureLayout must be NHWC or NCHW");
    need(Number.isInteger(c.inputSize) && c.inputSize > 0, "classifier.inputSize must be a positive integer");
    need(c.channels === 1 || c.channels === 3, "classifier.channels must be 1 or 3");
    need(c.head === "global-average-pool" || c.head === "other", `classifier.head must be "global-average-pool" or "other"`);
    checkNormalisation(c.normalisation, "classifier.normalisation", problems);
  }
  const o = card.ood;
  if (o !== undefined) {
    for (const key of ["path", "inputNode", "outputNode", "latentNode"] as const)
      need(typeof o[key] === "string" && o[key].length > 0, `ood.${key} is missing`);
    need(o.inputLayout === "NHWC" || o.inputLayout === "NCHW", "ood.inputLayout must be NHWC or NCHW");
    need(Number.isInteger(o.inputSize) && o.inputSize > 0, "ood.inputSize must be a positive integer");
    checkNormalisation(o.normalisation, "ood.normalisation", problems);
    const d = o.decision;
    need(d && ["l1", "l2", "ssim", "ssim8", "latent"].includes(d.score), "ood.decision.score must be l1, l2, ssim, ssim8 or latent");
    need(d && Number.isFinite(d.threshold), "ood.decision.threshold must be a number");
    need(d && (d.inDistributionWhen === "above" || d.inDistributionWhen === "below"), `ood.decision.inDistributionWhen must be "above" or "below"`);
  }
  if (card.oodFeatures !== undefined)
    need(card.oodFeatures && typeof card.oodFeatures.path === "string" && card.oodFeatures.path.length > 0, "oodFeatures.path is missing");
  const g = card.oodGate;
  if (g !== undefined) {
    const decisions = Array.isArray(g?.decisions) ? g.decisions : [];
    need(Array.isArray(g?.decisions), "oodGate.decisions must be a list");
    decisions.forEach((d, i) => {
      need(d && GATE_SCORE_NAMES.includes(d.score), `oodGate.decisions[${i}].score must be one of ${GATE_SCORE_NAMES.join(", ")}`);
      need(d && Number.isFinite(d.threshold), `oodGate.decisions[${i}].threshold must be a number`);
      need(d && (d.inDistributionWhen === "above" || d.inDistributionWhen === "below"), `oodGate.decisions[${i}].inDistributionWhen must be "above" or "below"`);
      const needs = d && (["l1", "l2", "ssim", "ssim8", "latent"].includes(d.score) ? card.ood : card.oodFeatures);
      need(!d || needs, `oodGate.decisions[${i}] uses ${d?.score}, which this bundle cannot compute (${["l1", "l2", "ssim", "ssim8", "latent"].includes(d?.score) ? "no ood model" : "no oodFeatures"})`);
    });
    need(decisions.some((d) => d?.score === g?.default), `oodGate.default ${JSON.stringify(g?.default)} has no decision in oodGate.decisions`);
  }
  if (problems.length) throw new CardError(`${where}: ${problems.join("; ")}`);
  return card;
}

function checkNormalisation(n: unknown, key: string, problems: string[]) {
  if (typeof n === "string") {
    if (!(n in NORMALISATIONS)) problems.push(`${key} must be one of ${Object.keys(NORMALISATIONS).join(", ")} or {mean, std}`);
  } else if (!n || typeof n !== "object" || !Array.isArray((n as {mean: unknown}).mean) || !Array.isArray((n as {std: unknown}).std)) {
    problems.push(`${key} must be one of ${Object.keys(NORMALISATIONS).join(", ")} or {mean, std}`);
  } else if ((n as {std: number[]}).std.some((s) => !(s > 0))) {
    problems.push(`${key}.std must be positive`);
  }
}

/** Chester's config.json, as published next to its graph models. */
export interface ChesterConfig {
  IMAGE_SIZE: number;
  IMAGE_SCALE: number;
  OUTPUT_NODE: string;
  LABELS: string[];
  OP_POINT: number[];
  SCALE_UPPER?: number;
}

export function parseChesterConfig(json: unknown, where = "config.json"): ChesterConfig {
  const c = json as ChesterConfig;
  const problems: string[] = [];
  if (!c || typeof c !== "object") throw new CardError(`${where}: is not a JSON object`);
  if (!Number.isInteger(c.IMAGE_SIZE)) problems.push("IMAGE_SIZE must be an integer");
  if (!(c.IMAGE_SCALE > 0)) problems.push("IMAGE_SCALE must be positive");
  if (typeof c.OUTPUT_NODE !== "string") problems.push("OUTPUT_NODE is missing");
  if (!Array.isArray(c.LABELS)) problems.push("LABELS is missing");
  if (!Array.isArray(c.OP_POINT) || c.OP_POINT.length !== c.LABELS?.length)
    problems.push(`OP_POINT must have one value per LABELS entry (${c.LABELS?.length ?? 0})`);
  if (problems.length) throw new CardError(`${where}: ${problems.join("; ")}`);
  return c;
}

/**
 * Chester's IMAGE_SCALE s: the grey input spans [-s, s] (torchxrayvision's [-1024, 1024] for s = 1024).
 * Our reading of the published configs; Chester's preprocessing source is not available here.
 */
export function chesterNormalisation(imageScale: number): Normalisation {
  return {mean: [0.5], std: [1 / (2 * imageScale)]};
}
