/** What the page and the analysis worker (src/workers/analysis-worker.ts) send each other. */
import type {Analysis} from "../pipeline/analyse.js";
import type {BackendName} from "../pipeline/backend.js";
import type {Card, OodDecision} from "../pipeline/bundle/card.js";
import type {DecodedImage} from "../pipeline/image/types.js";
import type {ViewImage} from "../pipeline/display-window.js";

/**
 * An image's file as the page has it: the bytes of a bundled sample, or the File (a Blob) the user
 * opened, which the worker reads itself: posting a Blob copies no bytes, so a large file is read
 * once, in the worker, instead of on the main thread, again for the message and again in storage.
 */
export type ImageSource = Uint8Array | Blob;

/** The bytes of an image source (in the worker, or wherever the bytes are needed). */
export async function sourceBytes(source: ImageSource): Promise<Uint8Array> {
  return source instanceof Uint8Array ? source : new Uint8Array(await source.arrayBuffer());
}

/** Where the worker reads a model from: URLs are absolute (the worker's own URL is elsewhere). */
export type ModelSpec =
  | {kind: "site"; name: string; title: string; href: string; size?: number}
  | {kind: "folder"; files: File[]}
  | {kind: "url"; model: string; ood?: string; base: string};

export interface WorkerBackend {
  name: BackendName;
  probeMs: Partial<Record<BackendName, number>>;
  startMs?: Partial<Record<BackendName, number>>;
  /** Candidates not measured, and why (WebGPU without an adapter). */
  skipped?: Partial<Record<BackendName, string>>;
  reason: string;
}

export interface WorkerModelInfo {
  card: Card;
  /** SHA-256 of card.json (or Chester's config.json): what a recalibration file is fitted for. */
  cardSha256: string;
  kind: string;
  description: string;
  loadMs: number;
  fromCache: boolean;
  fastPathVerified: boolean;
  oodDecision: OodDecision | null;
  oodInputSize: number | null;
  backend: WorkerBackend;
}

export interface WorkerImage {
  name: string;
  /** The decoded image's facts; its full-size pixels stay in the worker. */
  decoded: Omit<DecodedImage, "data">;
  analysis: Analysis;
  /** The grey square the maps are drawn over: size x size in [0, 1]. */
  size: number;
  pixels: Float32Array;
  timings: Record<string, number>;
  /** The viewer's copy of the image (display only), when asked for with `viewMax`. */
  view?: ViewImage;
}
