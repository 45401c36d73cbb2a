/**
 * The workbench state that travels in a page's address: pure functions (no DOM, no storage), so
 * they are unit-tested in Node. Everything that fits in a URL goes there, so a link or a reload
 * restores the view; uploaded images and recalibration files never do (they live in this
 * browser's IndexedDB and are named in sessionStorage only).
 */

export type ResizeChoice = "crop" | "stretch";

/** The OOD gate the user chose: a score of the OOD result and its cutoff. */
export interface GateChoice {
  score: string;
  cutoff: number;
}

/** Thresholds of one model: the gate and each finding's threshold on the raw sigmoid output. */
export interface ModelThresholds {
  gate?: GateChoice;
  findings?: Record<string, number>;
}

export type ModelRef = {kind: "site"; name: string} | {kind: "url"; model: string; ood?: string} | {kind: "folder"; description: string};

export type ImageRef = {kind: "sample"; path: string; name: string} | {kind: "upload"; id: string; name: string};

/** A recalibration file the user opened: its text lives in this browser's IndexedDB, under `id`. */
export interface RecalibrationRef {
  id: string;
  name: string;
}

export interface WorkbenchState {
  model: ModelRef | null;
  /** Every image the user opened or picked, in order; `current` indexes the one shown. */
  images: ImageRef[];
  current: number;
  finding: string | null;
  resize: ResizeChoice | null;
  /** Per model key (modelKey()): thresholds set on any page apply on every page. */
  thresholds: Record<string, ModelThresholds>;
  /** Per model key: the recalibration file applied on top of that model's outputs (never in the address). */
  recalibrations: Record<string, RecalibrationRef>;
  backend: string | null;
  projector: boolean;
}

export const EMPTY_STATE: WorkbenchState = {
  model: null,
  images: [],
  current: 0,
  finding: null,
  resize: null,
  thresholds: {},
  recalibrations: {},
  backend: null,
  projector: false
};

/** A stable key for a model reference (thresholds belong to a model). */
export function modelKey(model: ModelRef | null): string {
  if (!model) return "";
  if (model.kind === "site") return model.name;
  if (model.kind === "url") return `url:${model.model}${model.ood ? `|${model.ood}` : ""}`;
  return `folder:${model.description}`;
}

export function currentImage(state: WorkbenchState): ImageRef | null {
  return state.images[Math.min(Math.max(0, state.current), state.images.length - 1)] ?? null;
}

const finiteIn = (v: number, lo: number, hi: number) => Number.isFinite(v) && v >= lo && v <= hi;

/** thr=Pneumonia:0.38,Effusion:0.2 (names URI-encoded). Bad entries are dropped, never thrown. */
function parseFindingThresholds(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(",")) {
    const at = part.lastIndexOf(":");
    if (at <= 0) continue;
    const name = safeDecode(part.slice(0, at));
    const value = Number(part.slice(at + 1));
    if (name && finiteIn(value, 0, 1)) out[name] = value;
  }
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return "";
  }
}

/**
 * The parts of the state an address carries. `?bundle=`, `?model=&ood=`, `?image=` and
 * `?backend=` keep the meaning they had before the shared state existed, so old links still work.
 */
export function stateFromParams(params: URLSearchParams): Partial<WorkbenchState> {
  const out: Partial<WorkbenchState> = {};
  const model = params.get("model");
  const bundle = params.get("bundle");
  if (model) out.model = {kind: "url", model, ...(params.get("ood") ? {ood: params.get("ood")!} : {})};
  else if (bundle) out.model = {kind: "site", name: bundle};
  const image = params.get("image");
  if (image) {
    out.images = [{kind: "sample", path: image, name: image.split("/").pop()!}];
    out.current = 0;
  }
  const finding = params.get("finding");
  if (finding) out.finding = finding;
  const resize = params.get("resize");
  if (resize === "crop" || resize === "stretch") out.resize = resize;
  const backend = params.get("backend");
  if (backend) out.backend = backend;
  if (params.has("projector")) out.projector = params.get("projector") !== "0";
  const gate = params.get("gate");
  const thr = params.get("thr");
  if (gate || thr) {
    const thresholds: ModelThresholds = {};
    const at = gate ? gate.lastIndexOf(":") : -1;
    const cutoff = gate ? Number(gate.slice(at + 1)) : NaN;
    if (gate && at > 0 && Number.isFinite(cutoff)) thresholds.gate = {score: gate.slice(0, at), cutoff};
    if (thr) thresholds.findings = parseFindingThresholds(thr);
    // Thresholds in an address without a model name belong to the model the user has (key "").
    out.thresholds = {[out.model ? modelKey(out.model) : ""]: thresholds};
  }
  return out;
}

/** The address of a state (what fits: never an uploaded image, never a folder's files). */
export function stateToParams(state: WorkbenchState, base: URLSearchParams = new URLSearchParams()): URLSearchParams {
  const params = new URLSearchParams(base);
  for (const key of ["bundle", "model", "ood", "image", "finding", "resize", "backend", "projector", "gate", "thr"]) params.delete(key);
  const model = state.model;
  if (model?.kind === "site") params.set("bundle", model.name);
  else if (model?.kind === "url") {
    params.set("model", model.model);
    if (model.ood) params.set("ood", model.ood);
  }
  const image = currentImage(state);
  if (image?.kind === "sample") params.set("image", image.path);
  if (state.finding) params.set("finding", state.finding);
  if (state.resize) params.set("resize", state.resize);
  if (state.backend) params.set("backend", state.backend);
  if (state.projector) params.set("projector", "1");
  const thresholds = state.thresholds[modelKey(model)];
  if (thresholds?.gate) params.set("gate", `${thresholds.gate.score}:${thresholds.gate.cutoff}`);
  const findings = Object.entries(thresholds?.findings ?? {});
  if (findings.length) params.set("thr", findings.map(([name, value]) => `${encodeURIComponent(name)}:${value}`).join(","));
  return params;
}

/**
 * Remembered state (sessionStorage) overlaid by the address: what the address says wins, the rest
 * follows the user from page to page. Unknown or malformed remembered values fall back to empty.
 */
export function mergeState(remembered: Partial<WorkbenchState> | null, fromAddress: Partial<WorkbenchState>): WorkbenchState {
  const base: WorkbenchState = {...EMPTY_STATE, ...sanitise(remembered ?? {})};
  const out: WorkbenchState = {...base, ...fromAddress, thresholds: {...base.thresholds}};
  for (const [key, value] of Object.entries(fromAddress.thresholds ?? {})) {
    const target = key === "" ? modelKey(out.model) : key;
    out.thresholds[target] = {...out.thresholds[target], ...value};
  }
  // A model named in the address that differs from the remembered one starts without the
  // remembered images' index beyond the list.
  out.current = Math.min(Math.max(0, out.current | 0), Math.max(0, out.images.length - 1));
  return out;
}

function sanitise(value: Partial<WorkbenchState>): Partial<WorkbenchState> {
  const out: Partial<WorkbenchState> = {};
  if (value.model && typeof value.model === "object" && ["site", "url", "folder"].includes((value.model as ModelRef).kind)) out.model = value.model;
  if (Array.isArray(value.images))
    out.images = value.images.filter((i) => i && typeof i.name === "string" && ((i.kind === "sample" && typeof i.path === "string") || (i.kind === "upload" && typeof i.id === "string")));
  if (typeof value.current === "number") out.current = value.current;
  if (typeof value.finding === "string") out.finding = value.finding;
  if (value.resize === "crop" || value.resize === "stretch") out.resize = value.resize;
  if (value.thresholds && typeof value.thresholds === "object") out.thresholds = value.thresholds;
  if (value.recalibrations && typeof value.recalibrations === "object")
    out.recalibrations = Object.fromEntries(
      Object.entries(value.recalibrations).filter(([, r]) => r && typeof r.id === "string" && typeof r.name === "string")
    );
  if (typeof value.backend === "string") out.backend = value.backend;
  if (typeof value.projector === "boolean") out.projector = value.projector;
  return out;
}
