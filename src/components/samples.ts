/** The bundled sample images (the sample audit's 36 files, one pack) as named files. */
import {decodePack} from "../pipeline/bundle/pack.js";
import {fetchCached} from "./model-loader.js";
import {SAMPLE_IMAGES} from "./site-files.js";

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
  /** A File, as if the user had opened it (the pages treat both the same). */
  file(path: string): File | undefined;
}

let loading: Promise<SampleImages> | null = null;

export function loadSamples(): Promise<SampleImages> {
  loading ??= fetchCached(SAMPLE_IMAGES.href).then((bytes) => {
    const pack = decodePack(bytes, "sample-images.pack");
    const rows = (pack.header.meta?.rows ?? []) as SampleRow[];
    return {
      rows,
      bytes: (path) => pack.files.get(path),
      file(path) {
        const b = pack.files.get(path);
        return b ? new File([b.slice()], path.split("/").pop()!, {type: ""}) : undefined;
      }
    };
  });
  return loading;
}

/** A short human label: "PNEUMONIA · person1_virus_6.jpeg" / "knee-xray · 0001.png". */
export function sampleTitle(row: SampleRow): string {
  const kind = row.set || row.label || "image";
  return `${kind} · ${row.path.split("/").pop()}`;
}
