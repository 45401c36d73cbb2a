/**
 * Every file the site ships, referenced once here so that Framework copies them into the build
 * (FileAttachment takes literal paths only). Pages and components look files up in these tables.
 */
import {FileAttachment, type FileAttachmentHandle} from "observablehq:stdlib";

export interface SiteBundle {
  name: string;
  title: string;
  /** card.json, classifier/ and ood/ in one file (src/pipeline/bundle/pack.ts). */
  pack: FileAttachmentHandle;
  /** The card alone (labels, operating points, OOD gate, measured metrics), without the weights. */
  card: FileAttachmentHandle;
  /** The project's evaluation of the bundle, per image (scripts/evaluate-bundle.ts). */
  predictions: FileAttachmentHandle;
  oodScores: FileAttachmentHandle;
  /** Every gate score (autoencoder and feature space) per image, from `npm run ood-stats -- <name> --report N`. */
  gateScores: FileAttachmentHandle;
}

export const SITE_BUNDLES: SiteBundle[] = [
  {
    name: "pediatric-pneumonia",
    title: "Pediatric pneumonia (Pneumonia vs Normal, 128 px)",
    pack: FileAttachment("../data/bundle-pediatric-pneumonia.pack"),
    card: FileAttachment("../models/pediatric-pneumonia/card.json"),
    predictions: FileAttachment("../models/pediatric-pneumonia/evaluation/predictions.csv"),
    oodScores: FileAttachment("../models/pediatric-pneumonia/evaluation/ood-scores.csv"),
    gateScores: FileAttachment("../models/pediatric-pneumonia/evaluation/ood-gate-scores.csv")
  },
  {
    name: "nih-chestxray14",
    title: "NIH ChestX-ray14 (14 findings, adults, 128 px)",
    pack: FileAttachment("../data/bundle-nih-chestxray14.pack"),
    card: FileAttachment("../models/nih-chestxray14/card.json"),
    predictions: FileAttachment("../models/nih-chestxray14/evaluation/predictions.csv"),
    oodScores: FileAttachment("../models/nih-chestxray14/evaluation/ood-scores.csv"),
    gateScores: FileAttachment("../models/nih-chestxray14/evaluation/ood-gate-scores.csv")
  }
];

/** The sample audit's images (one pack, labels in its header) and its seven tables (one pack of Parquet files). */
export const SAMPLE_IMAGES = FileAttachment("../data/sample-images.pack");
/** The 24 full-resolution, non-square pediatric originals (crop versus stretch). */
export const PEDS_ORIGINALS = FileAttachment("../data/peds-originals.pack");
export const AUDIT_TABLES = FileAttachment("../data/audit-tables.pack");
/** Radiographs with a radiologist's Pneumonia box (cxr-nih), and the explanation agreement over a small sample per bundle, with every box. */
export const BOXED_SAMPLES = FileAttachment("../data/boxed-samples.pack");
export const EXPLANATION_AGREEMENT = FileAttachment("../data/explanation-agreement.json");

/** The papers' tables our figures are put beside (data/ in the repository). */
export const CHESTER_TABLE1 = FileAttachment("../reference/chester-table1.json");
export const BAD_TABLE1 = FileAttachment("../reference/bad-table1.json");
