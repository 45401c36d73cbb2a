/**
 * The `images` table's columns about what an image is, beyond its size: the window it was shown and
 * predicted with (VOI as PS3.3 C.11.2 says, or "8-bit" for PNG / JPEG), and the DICOM attributes an
 * auditor slices by. NULL where the file does not say (every DICOM column for PNG and JPEG).
 */
import {ageInYears, chestMismatch} from "../../image/dicom-metadata.js";
import type {DecodedImage} from "../../image/types.js";
import type {Cell} from "./parquet.js";

export const IMAGE_METADATA_COLUMNS = [
  ["voi", "VARCHAR"],
  ["window_center", "DOUBLE"],
  ["window_width", "DOUBLE"],
  ["transfer_syntax", "VARCHAR"],
  ["photometric", "VARCHAR"],
  ["bits_stored", "INTEGER"],
  ["modality", "VARCHAR"],
  ["body_part", "VARCHAR"],
  ["view_position", "VARCHAR"],
  ["patient_sex", "VARCHAR"],
  ["patient_age", "VARCHAR"],
  ["patient_age_years", "DOUBLE"],
  ["manufacturer", "VARCHAR"],
  ["manufacturer_model", "VARCHAR"],
  ["institution", "VARCHAR"],
  ["station", "VARCHAR"],
  ["pixel_spacing", "VARCHAR"],
  ["anatomy_warning", "VARCHAR"]
] as const;

const text = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const number = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

export function imageMetadataCells(image: DecodedImage | undefined): Cell[] {
  if (!image) return IMAGE_METADATA_COLUMNS.map(() => null);
  const info = image.info;
  const dicom = image.format === "dicom";
  const voi = dicom ? text(info.voi) : image.channels === 3 ? "none (colour)" : `full range (${image.bitDepth} bits)`;
  return [
    voi,
    number(info.windowCenter),
    number(info.windowWidth),
    text(info.transferSyntaxUID),
    text(info.photometricInterpretation),
    dicom ? number(info.bitsStored) : null,
    text(info.modality),
    text(info.bodyPartExamined),
    text(info.viewPosition),
    text(info.patientSex),
    text(info.patientAge),
    ageInYears(text(info.patientAge) ?? undefined) ?? null,
    text(info.manufacturer),
    text(info.manufacturerModel),
    text(info.institutionName),
    text(info.stationName),
    text(info.pixelSpacing) ?? text(info.imagerPixelSpacing),
    dicom ? chestMismatch(info) ?? null : null
  ];
}
