import * as tf from "@tensorflow/tfjs";
import {cpSync, mkdirSync, rmSync, writeFileSync} from "node:fs";
import path from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {initBackend} from "../src/pipeline/wasm-backend.js";
import {CardError, parseCard, parseChesterConfig} from "../src/pipeline/bundle/card.js";
import {loadBundle} from "../src/pipeline/bundle/load.js";
import {BundleError, memorySource} from "../src/pipeline/bundle/source.js";
import {directorySource} from "../src/pipeline/node/fs-source.js";
import {testBundle} from "./helpers/models.js";
import {CHESTER_MODELS, chesterFixture, TMP_ROOT} from "./helpers/paths.js";

beforeAll(async () => {
  await initBackend();
});

describe("card validation", () => {
  it("accepts the test bundle's card", () => {
    const {card} = testBundle();
    expect(parseCard(JSON.parse(JSON.stringify(card))).name).toBe("test-bundle");
  });

  it("lists every problem at once", () => {
    const {card} = testBundle();
    const broken = JSON.parse(JSON.stringify(card));
    broken.operatingPoints = [0.5, 1.5];
    broken.classifier.channels = 2;
    delete broken.classifier.featureNode;
    broken.ood.decision.score = "psnr";
    const error = (() => { try { parseCard(broken); } catch (e) { return e as Error; } })();
    expect(error).toBeInstanceOf(CardError);
    for (const part of ["one value per label", "operatingPoints[1] = 1.5", "channels must be 1 or 3", "featureNode is missing", "ood.decision.score"])
      expect(error!.message).toContain(part);
  });

  it("validates Chester's config.json", () => {
    expect(() => parseChesterConfig({IMAGE_SIZE: 224, IMAGE_SCALE: 1, OUTPUT_NODE: "Sigmoid", LABELS: ["a", "b"], OP_POINT: [0.1]}))
      .toThrow(/OP_POINT must have one value per LABELS entry \(2\)/);
  });
});

describe("loading", () => {
  it("loads an own bundle, warms it up and verifies the pooled head", async () => {
    const bundle = await loadBundle(testBundle().source);
    expect(bundle.kind).toBe("bundle");
    expect(bundle.classifier.outputs).toBe(3);
    expect(bundle.autoencoder).toBeDefined();
    expect(bundle.warmUp.fastPath.verified).toBe(true);
    bundle.dispose();
  });

  it("names nodes the card claims but the graph lacks", async () => {
    const {source} = testBundle({cardPatch: (c) => { c.classifier.featureNode = "conv9/relu"; }});
    await expect(loadBundle(source)).rejects.toThrow(/classifier: the card names nodes the graph does not have: featureNode "conv9\/relu"/);
  });

  it("rejects a card whose labels do not match the outputs", async () => {
    const {source} = testBundle({cardPatch: (c) => { c.labels = ["A", "B"]; c.operatingPoints = [0.5, 0.5]; }});
    await expect(loadBundle(source)).rejects.toThrow(/3 outputs but the card lists 2 labels/);
  });

  it("says which weight shard is missing", async () => {
    const {source} = testBundle({withOod: false});
    const files: Record<string, Uint8Array | string> = {};
    for (const p of ["card.json", "classifier/model.json"]) files[p] = await source.readBytes(p);
    await expect(loadBundle(memorySource(files, "broken"))).rejects.toThrow(/weight shard broken\/classifier\/weights.bin could not be read/);
  });

  it("says when a folder is not a bundle", async () => {
    await expect(loadBundle(memorySource({"README.md": "hi"}, "empty"))).rejects.toThrow(BundleError);
    await expect(loadBundle(memorySource({"README.md": "hi"}, "empty"))).rejects.toThrow(/neither card.json nor a Chester config.json/);
  });

  it("loads a bundle from a folder on disk and refuses paths outside it", async () => {
    const {source} = testBundle();
    const dir = path.join(TMP_ROOT, "bundle-on-disk");
    rmSync(dir, {recursive: true, force: true});
    for (const p of ["card.json", "classifier/model.json", "classifier/weights.bin", "ood/model.json", "ood/weights.bin"]) {
      mkdirSync(path.dirname(path.join(dir, p)), {recursive: true});
      writeFileSync(path.join(dir, p), await source.readBytes(p));
    }
    const bundle = await loadBundle(directorySource(dir));
    expect(bundle.card.name).toBe("test-bundle");
    bundle.dispose();
    await expect(directorySource(dir).readBytes("../../package.json")).rejects.toThrow(/outside/);
  });
});

describe("Chester's published folders, unchanged", () => {
  it.each([
    [CHESTER_MODELS.densenet, 14, 3, "NHWC"],
    [CHESTER_MODELS.xrv, 18, 1, "NCHW"]
  ])("%s loads with %i outputs and its head found from the graph", async (name, outputs, channels, layout) => {
    const before = tf.memory().numTensors;
    const bundle = await loadBundle(directorySource(chesterFixture(name)), {ood: directorySource(chesterFixture(CHESTER_MODELS.autoencoder))});
    expect(bundle.kind).toBe("chester");
    expect(bundle.classifier.outputs).toBe(outputs);
    expect(bundle.card.classifier.channels).toBe(channels);
    expect(bundle.card.classifier.inputLayout).toBe("NCHW");
    expect(bundle.card.classifier.featureLayout).toBe(layout);
    expect(bundle.warmUp.fastPath.verified).toBe(true);
    const out = tf.tidy(() => {
      const {probabilities, features, logits} = bundle.classifier.forward(bundle.classifier.toInput(tf.fill([224, 224], 0.5) as tf.Tensor2D));
      return {p: probabilities.shape, f: features.shape, l: logits.shape};
    });
    expect(out.p).toEqual([1, outputs]);
    expect(out.l).toEqual([1, outputs]);
    expect(out.f).toEqual([1, 7, 7, 1024]);
    bundle.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("keeps xrv's SCALE_UPPER and blank labels", async () => {
    const bundle = await loadBundle(directorySource(chesterFixture(CHESTER_MODELS.xrv)));
    expect(bundle.card.scaleUpper).toBe(1.3);
    expect(bundle.card.labels.filter((l) => l === "")).toHaveLength(6);
    bundle.dispose();
  });

  it("reports a Chester folder whose shards are missing", async () => {
    const dir = path.join(TMP_ROOT, "chester-no-weights");
    rmSync(dir, {recursive: true, force: true});
    mkdirSync(dir, {recursive: true});
    for (const f of ["model.json", "config.json"]) cpSync(path.join(chesterFixture(CHESTER_MODELS.densenet), f), path.join(dir, f));
    await expect(loadBundle(directorySource(dir))).rejects.toThrow(/weight shard .*group1-shard1of7.bin could not be read/);
  });
});
