/** The bundled image sets (packs with their labels in the header) as named files. */
import type {FileAttachmentHandle} from "observablehq:stdlib";
import {decodePack} from "../pipeline/bundle/pack.js";
import {fetchCached} from "./site-cache.js";
import {BOXED_SAMPLES, PEDS_ORIGINALS, SAMPLE_IMAGES} from "./site-files.js";

export interface SampleRow {
  /** Relative to the data folder, as in the audit tables. */
  path: string;
  /** NORMAL / PNEUMONIA for pediatric images, empty otherwise. */
  label: string;
  /** The OOD set (knee-xray, cifar10, mnist) or adult-cxr; empty for the pediatric images. */
  set: string;
}

export interface SampleImages {
  rows: SampleRow[];
  bytes(path: string): Uint8Array | undefined;
}

const loading = new Map<string, Promise<SampleImages>>();

/** The sample audit's 36 images (default), or another image pack of the site. */
export function loadSamples(handle: FileAttachmentHandle = SAMPLE_IMAGES): Promise<SampleImages> {
  if (!loading.has(handle.href)) loading.set(handle.href, readImagePack(handle));
  return loading.get(handle.href)!;
}

/** The 24 full-resolution pediatric originals. */
export function loadOriginals(): Promise<SampleImages> {
  return loadSamples(PEDS_ORIGINALS);
}

/** NIH radiographs with a radiologist's Pneumonia box (labelled Pneumonia, the boxed finding). */
export function loadBoxedSamples(): Promise<SampleImages> {
  return loadSamples(BOXED_SAMPLES);
}

/** Several sets as one (the first set holding a path wins). */
export function mergeSamples(...sets: SampleImages[]): SampleImages {
  const seen = new Set<string>();
  const rows = sets.flatMap((s) => s.rows).filter((r) => !seen.has(r.path) && seen.add(r.path));
  return {rows, bytes: (path) => sets.map((s) => s.bytes(path)).find((b) => b !== undefined)};
}

function readImagePack(handle: FileAttachmentHandle): Promise<SampleImages> {
  return fetchCached(handle.href).then((bytes) => {
    const pack = decodePack(bytes, handle.name);
    const rows = (pack.header.meta?.rows ?? []) as SampleRow[];
    return {
      rows,
      bytes: (path) => pack.files.get(path)
    };
  });
}

/** A short human label: "PNEUMONIA · person1_virus_6.jpeg" / "knee-xray · 0001.png". */
export function sampleTitle(row: SampleRow): string {
  const kind = row.set || row.label || "image";
  return `${kind} · ${row.path.split("/").pop()}`;
}
