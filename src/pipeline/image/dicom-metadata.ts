/**
 * The DICOM attributes an auditor slices results by (PS3.3 C.7.1.1 Patient, C.7.3.1 General Series,
 * C.7.5.1 General Equipment, C.8.11.7 DX Positioning, C.7.6.3 Image Pixel), read into
 * DecodedImage.info under fixed names, and the check that an image is one a chest model is for.
 */
import type {DataSet} from "dicom-parser";

/** info key -> DICOM tag (dicom-parser's "xGGGGEEEE"). Text values, trimmed; absent when empty. */
export const DICOM_METADATA_TAGS = {
  bodyPartExamined: "x00180015",
  viewPosition: "x00185101",
  patientSex: "x00100040",
  patientAge: "x00101010",
  manufacturer: "x00080070",
  manufacturerModel: "x00081090",
  institutionName: "x00080080",
  stationName: "x00081010",
  pixelSpacing: "x00280030",
  imagerPixelSpacing: "x00181164"
} as const;

export type DicomMetadataKey = keyof typeof DICOM_METADATA_TAGS;

export function readDicomMetadata(ds: DataSet): Partial<Record<DicomMetadataKey, string>> {
  const out: Partial<Record<DicomMetadataKey, string>> = {};
  for (const [key, tag] of Object.entries(DICOM_METADATA_TAGS) as [DicomMetadataKey, string][]) {
    let value: string | undefined;
    try {
      value = ds.string(tag)?.trim();
    } catch {
      value = undefined; // a malformed optional attribute must not cost the image
    }
    if (value) out[key] = value;
  }
  return out;
}

/** PatientAge (AS: "045Y", "006M", "010W", "003D") in years; undefined when absent or malformed. */
export function ageInYears(age: string | undefined): number | undefined {
  const match = age ? /^(\d{1,3})\s*([DWMY])?$/i.exec(age.trim()) : null;
  if (!match) return undefined;
  const n = Number(match[1]);
  const perYear = {D: 365.25, W: 365.25 / 7, M: 12, Y: 1}[(match[2] ?? "Y").toUpperCase() as "D" | "W" | "M" | "Y"];
  return n / perYear;
}

/** Projection radiography (PS3.3 C.7.3.1.1.1): CR, DX, and the retired DR; RG (radiographic imaging). */
const RADIOGRAPHY = new Set(["CR", "DX", "DR", "RG"]);
/** Modalities that say nothing about the image (other, secondary capture, document). */
const UNINFORMATIVE = new Set(["OT", "SC", "DOC"]);
/** BodyPartExamined values (PS3.16 Annex L defined terms, and common free-text) that are the chest. */
const CHEST = /^(CHEST|THORAX|LUNG|LUNGS|BREAST|CHEST_TO_PELVIS|CHESTABDOMEN|CHEST_ABDOMEN|TORSO|PORTABLE CHEST|THORAX_PA|PA CHEST)$/i;

/**
 * Why a chest X-ray model should not be trusted on this image according to its own header, or
 * undefined when Modality and BodyPartExamined are absent, uninformative or agree.
 */
export function chestMismatch(info: {modality?: unknown; bodyPartExamined?: unknown}): string | undefined {
  const reasons: string[] = [];
  const modality = typeof info.modality === "string" ? info.modality.trim().toUpperCase() : "";
  if (modality && !RADIOGRAPHY.has(modality) && !UNINFORMATIVE.has(modality)) reasons.push(`Modality ${modality} is not projection radiography`);
  const part = typeof info.bodyPartExamined === "string" ? info.bodyPartExamined.trim() : "";
  if (part && !CHEST.test(part)) reasons.push(`BodyPartExamined ${part} is not the chest`);
  return reasons.length ? `${reasons.join("; ")}: a chest X-ray model is not meant for this image` : undefined;
}
