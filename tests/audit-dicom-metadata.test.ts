/**
 * The audit's `images` columns about each image: the window it was predicted with and the DICOM
 * attributes an auditor slices by, on compressed DICOM made by dcmtk and gdcmconv from real images
 * (with attributes set by dcmodify), beside a plain JPEG. A knee radiograph labelled as such in its
 * header is flagged for a chest model. Same image as JPEG and as DICOM: same prediction.
 */
import {spawnSync} from "node:child_process";
import {copyFileSync, mkdirSync, rmSync} from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {runAudit} from "../src/pipeline/node/audit/index.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {PARITY_BUNDLE, queryAudit} from "./helpers/audit.js";
import {DATA_ROOT, TMP_ROOT} from "./helpers/paths.js";

const root = path.join(TMP_ROOT, "audit-dicom-metadata");
const images = path.join(root, "images");
const out = path.join(root, "out");
const CHEST_JPEG = path.join(DATA_ROOT, "cxr-peds/test/PNEUMONIA/person100_bacteria_475.jpg");
const KNEE_JPEG = path.join(DATA_ROOT, "ood/knee/0_9003175R.jpg");

function run(tool: string, ...args: string[]) {
  const result = spawnSync(tool, args, {encoding: "utf8"});
  if (result.error || result.status !== 0) throw new Error(`${tool} ${args.join(" ")} failed: ${result.error?.message ?? result.stderr}`);
}

beforeAll(async () => {
  rmSync(root, {recursive: true, force: true});
  mkdirSync(images, {recursive: true});
  const file = (name: string) => path.join(images, name);
  copyFileSync(CHEST_JPEG, file("chest.jpg"));
  run("img2dcm", CHEST_JPEG, file("chest-jpeg.dcm")); // the JPEG's bytes encapsulated, no window
  copyFileSync(file("chest-jpeg.dcm"), file("tmp-chest.dcm"));
  run("dcmdjpeg", file("tmp-chest.dcm"), file("tmp-chest-raw.dcm"));
  run("dcmodify", "-nb", "-i", "(0008,0060)=DX", "-i", "(0018,0015)=CHEST", "-i", "(0018,5101)=PA", "-i", "(0010,0040)=F", "-i", "(0010,1010)=045Y",
    "-i", "(0008,0070)=ACME Imaging", "-i", "(0008,0080)=St Elsewhere", "-i", "(0028,0030)=0.143\\0.143", file("tmp-chest-raw.dcm"));
  run("gdcmconv", "--j2k", file("tmp-chest-raw.dcm"), file("chest-j2k.dcm"));
  run("dcmcjpls", file("tmp-chest-raw.dcm"), file("chest-jpegls")); // no extension
  run("img2dcm", KNEE_JPEG, file("tmp-knee.dcm"));
  run("dcmdjpeg", file("tmp-knee.dcm"), file("tmp-knee-raw.dcm"));
  run("dcmodify", "-nb", "-i", "(0008,0060)=CR", "-i", "(0018,0015)=KNEE", "-i", "(0010,0040)=M", file("tmp-knee-raw.dcm"));
  run("dcmcrle", file("tmp-knee-raw.dcm"), file("knee-rle.dcm"));
  for (const name of ["tmp-chest.dcm", "tmp-chest-raw.dcm", "tmp-knee.dcm", "tmp-knee-raw.dcm"]) rmSync(file(name));
  await initBackend();
  await runAudit({images, labels: [], model: PARITY_BUNDLE, out, explain: [], alphas: [10], chunkSize: 8, progress: "none"});
});

describe("images: window and DICOM attributes", () => {
  it("records the window, transfer syntax and the attributes an auditor slices by", async () => {
    const rows = await queryAudit(out, "SELECT * FROM {images} ORDER BY path");
    expect(rows.map((r) => [r.path, r.status])).toEqual([
      ["chest-j2k.dcm", "ok"],
      ["chest-jpeg.dcm", "ok"],
      ["chest-jpegls", "ok"],
      ["chest.jpg", "ok"],
      ["knee-rle.dcm", "ok"]
    ]);
    const [j2k, , jpegls, jpeg, knee] = rows;
    expect(j2k).toMatchObject({
      transfer_syntax: "1.2.840.10008.1.2.4.90",
      voi: "full range (8 bits stored)",
      window_center: 127.5,
      window_width: 255,
      photometric: "MONOCHROME2",
      bits_stored: 8,
      modality: "DX",
      body_part: "CHEST",
      view_position: "PA",
      patient_sex: "F",
      patient_age: "045Y",
      patient_age_years: 45,
      manufacturer: "ACME Imaging",
      institution: "St Elsewhere",
      pixel_spacing: "0.143\\0.143",
      anatomy_warning: null
    });
    expect(jpegls).toMatchObject({transfer_syntax: "1.2.840.10008.1.2.4.80", patient_sex: "F", anatomy_warning: null});
    expect(jpeg).toMatchObject({format: "jpeg", voi: "full range (8 bits)", transfer_syntax: null, modality: null, patient_sex: null});
    expect(knee).toMatchObject({transfer_syntax: "1.2.840.10008.1.2.5", modality: "CR", body_part: "KNEE", patient_sex: "M"});
    expect(String(knee!.anatomy_warning)).toMatch(/BodyPartExamined KNEE is not the chest/);
  });

  it("the same radiograph as JPEG and as DICOM gets the same prediction (no per-image min-max window)", async () => {
    const rows = await queryAudit(out, "SELECT path, finding, probability FROM {predictions} WHERE path LIKE 'chest%' ORDER BY finding, path");
    const p = (file: string) => new Map(rows.filter((r) => r.path === file).map((r) => [String(r.finding), Number(r.probability)]));
    const [jpeg, encapsulated, j2k, jpegls] = [p("chest.jpg"), p("chest-jpeg.dcm"), p("chest-j2k.dcm"), p("chest-jpegls")];
    expect(jpeg.size).toBeGreaterThan(0);
    for (const [finding, probability] of jpeg) {
      expect(encapsulated.get(finding), finding).toBe(probability); // the JPEG's own bytes inside DICOM
      expect(jpegls.get(finding), finding).toBe(j2k.get(finding)); // two lossless codings of one image
      // dcmdjpeg's libjpeg and our jpeg-js differ by a grey level or so; nothing like a window change
      expect(Math.abs(j2k.get(finding)! - probability), finding).toBeLessThan(1e-3);
    }
  });
});
