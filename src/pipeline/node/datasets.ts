/**
 * Node-only: the shared datasets as lists of labelled images, with the same patient-level splits
 * as training/train.py (a patient's SHA-256 decides, so both languages agree without a split file).
 */
import {createHash} from "node:crypto";
import {readFileSync} from "node:fs";
import path from "node:path";
import {csvParse} from "d3";

export interface LabelledImage {
  /** Path relative to the data root. */
  path: string;
  /** 0/1 per finding of the bundle, in its label order (empty for unlabelled sets). */
  labels: number[];
  split: "train" | "val" | "test";
}

export const NIH_FINDINGS = [
  "Atelectasis", "Cardiomegaly", "Effusion", "Infiltration", "Mass", "Nodule", "Pneumonia",
  "Pneumothorax", "Consolidation", "Edema", "Emphysema", "Fibrosis", "Pleural_Thickening", "Hernia"
];

export function readLabels(dataRoot: string, folder: string): Record<string, string>[] {
  return csvParse(readFileSync(path.join(dataRoot, folder, "labels.csv"), "utf8"));
}

/** training/train.py's patient_in_validation: 10 % of patients, by hash. */
export function patientInValidation(patient: string, share = 0.1): boolean {
  const digest = BigInt(`0x${createHash("sha256").update(patient).digest("hex")}`);
  return Number(digest % 1000n) < share * 1000;
}

export function pediatricImages(dataRoot: string): LabelledImage[] {
  return readLabels(dataRoot, "cxr-peds").map((r) => ({
    path: path.join("cxr-peds", r.path!),
    labels: [r.label === "PNEUMONIA" ? 1 : 0],
    split: r.split === "test" ? "test" : patientInValidation(r.patient!) ? "val" : "train"
  }));
}

export function nihImages(dataRoot: string): LabelledImage[] {
  return readLabels(dataRoot, "cxr-nih").map((r) => ({
    path: path.join("cxr-nih", r.path!),
    labels: NIH_FINDINGS.map((f) => Number(r[f])),
    split: r.split as LabelledImage["split"]
  }));
}

/** Out-of-distribution sets: knee radiographs, CIFAR-10 photographs, MNIST digits. */
export function oodSets(dataRoot: string): Record<string, string[]> {
  const sets: Record<string, string[]> = {};
  for (const r of readLabels(dataRoot, "ood")) {
    const name = r.path!.split("/")[0]!;
    (sets[name] ??= []).push(path.join("ood", r.path!));
  }
  return sets;
}
