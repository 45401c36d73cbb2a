/**
 * How pages get models: packs (one file per bundle), folders the user picks, same-origin URLs.
 * Real bundles and Chester's real topologies (synthetic weights).
 */
import * as tf from "@tensorflow/tfjs";
import {readFileSync} from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {folderSources, sameOriginUrl, type FolderFile} from "../src/pipeline/bundle/folder-source.js";
import {loadBundle} from "../src/pipeline/bundle/load.js";
import {decodePack, encodePack, packSource} from "../src/pipeline/bundle/pack.js";
import {BundleError} from "../src/pipeline/bundle/source.js";
import {analyse} from "../src/pipeline/analyse.js";
import {decodeImage} from "../src/pipeline/image/index.js";
import {directorySource} from "../src/pipeline/node/fs-source.js";
import {folderFiles, packBundle} from "../src/pipeline/node/pack.js";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {CHESTER_MODELS, chesterFixture, DATA_ROOT, dataFile, REPO_ROOT} from "./helpers/paths.js";

const PEDIATRIC = path.join(REPO_ROOT, "models/pediatric-pneumonia");

/** Files as a folder input gives them: paths under the picked folder's name. */
function picked(folder: string, under: string): FolderFile[] {
  return folderFiles(folder).map((relative) => ({
    name: path.basename(relative),
    webkitRelativePath: `${under}/${relative}`,
    arrayBuffer: async () => new Uint8Array(readFileSync(path.join(folder, relative))).buffer
  }));
}

beforeAll(async () => {
  await initBackend();
});

describe("packs", () => {
  it("round-trips files and metadata byte for byte", () => {
    const files = [
      {path: "card.json", bytes: new TextEncoder().encode('{"a": 1}')},
      {path: "classifier/weights.bin", bytes: Uint8Array.from({length: 1000}, (_, i) => (i * 7) % 256)},
      {path: "empty", bytes: new Uint8Array(0)}
    ];
    const pack = decodePack(encodePack(files, {rows: [{path: "x"}]}));
    expect([...pack.files.keys()]).toEqual(files.map((f) => f.path));
    for (const f of files) expect(Array.from(pack.files.get(f.path)!)).toEqual(Array.from(f.bytes));
    expect(pack.header.meta).toEqual({rows: [{path: "x"}]});
    expect(() => encodePack([files[0]!, files[0]!])).toThrow(/card\.json given twice/);
  });

  it("refuses what is not a pack, and says where a truncated one ends", () => {
    expect(() => decodePack(new TextEncoder().encode("<!doctype html> not found"), "bundle.pack")).toThrow(/bundle\.pack is not a workbench pack/);
    const bytes = encodePack([{path: "a.bin", bytes: new Uint8Array(64)}]);
    expect(() => decodePack(bytes.subarray(0, bytes.length - 10), "cut.pack")).toThrow(/cut\.pack is truncated: a\.bin ends at byte/);
    expect(() => decodePack(bytes.subarray(0, 14), "tiny.pack")).toThrow(/truncated: its header needs/);
    expect(() => decodePack(bytes.subarray(0, 14), "tiny.pack")).toThrow(BundleError);
  });

  it("a packed bundle loads and predicts exactly as the folder does", async () => {
    const bytes = packBundle(PEDIATRIC);
    const names = [...decodePack(bytes).files.keys()];
    expect(names).toContain("card.json");
    expect(names.some((n) => n.startsWith("classifier/"))).toBe(true);
    expect(names.some((n) => n.startsWith("ood/"))).toBe(true);
    expect(names.some((n) => n.endsWith("README.md") || n.includes("evaluation/"))).toBe(false);
    const image = decodeImage(dataFile("cxr-peds/test/PNEUMONIA/" + folderFiles(path.join(DATA_ROOT, "cxr-peds/test/PNEUMONIA"))[0]));
    const fromPack = await loadBundle(packSource(decodePack(bytes), "pack"));
    const fromFolder = await loadBundle(directorySource(PEDIATRIC));
    const before = tf.memory().numTensors;
    const a = analyse(fromPack, image, {methods: ["cam"]});
    const b = analyse(fromFolder, image, {methods: ["cam"]});
    expect(tf.memory().numTensors).toBe(before);
    expect(a.predictions).toEqual(b.predictions);
    expect(a.ood!.scores).toEqual(b.ood!.scores);
    fromPack.dispose();
    fromFolder.dispose();
  });
});

describe("folders the user picks", () => {
  it("a bundle folder picked directly loads", async () => {
    const sources = folderSources(picked(PEDIATRIC, "pediatric-pneumonia"));
    expect(sources.description).toBe("pediatric-pneumonia");
    const bundle = await loadBundle(sources.model, {ood: sources.ood});
    expect(bundle.kind).toBe("bundle");
    expect(bundle.autoencoder).toBeDefined();
    bundle.dispose();
  });

  it("Chester's published folders side by side load as one model with its autoencoder", async () => {
    const densenet = chesterFixture(CHESTER_MODELS.densenet);
    const ae = chesterFixture(CHESTER_MODELS.autoencoder);
    const files = [...picked(densenet, `models/${CHESTER_MODELS.densenet}`), ...picked(ae, `models/${CHESTER_MODELS.autoencoder}`)]
      // A folder input gives every file under the picked folder, whose name is the first segment.
      .map((f) => ({...f, webkitRelativePath: f.webkitRelativePath.replace(/^models\//, "chester-models/")}));
    const sources = folderSources(files);
    expect(sources.description).toBe(`chester-models/${CHESTER_MODELS.densenet} with chester-models/${CHESTER_MODELS.autoencoder}`);
    const bundle = await loadBundle(sources.model, {ood: sources.ood});
    expect(bundle.kind).toBe("chester");
    expect(bundle.autoencoder).toBeDefined();
    expect(bundle.warmUp.fastPath.verified).toBe(true);
    bundle.dispose();
  });

  it("a folder without a model says what it expected", () => {
    const files = picked(path.join(REPO_ROOT, "training"), "training");
    expect(() => folderSources(files)).toThrow(/training holds no model: open a bundle folder \(with card\.json\) or Chester's model folder/);
  });
});

describe("model URLs", () => {
  it("only this page's origin, always as a folder", () => {
    expect(sameOriginUrl("/models/chester", "http://127.0.0.1:3000/index.html")).toBe("http://127.0.0.1:3000/models/chester/");
    expect(sameOriginUrl("x/", "http://127.0.0.1:3000/a/page.html")).toBe("http://127.0.0.1:3000/a/x/");
    expect(() => sameOriginUrl("https://cdn.example.com/m/", "http://127.0.0.1:3000/")).toThrow(/refusing to load a model from https:\/\/cdn\.example\.com/);
    expect(() => sameOriginUrl("http://127.0.0.1:3001/m/", "http://127.0.0.1:3000/")).toThrow(/only reads models from this machine/);
  });
});
