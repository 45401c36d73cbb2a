/**
 * The card's report on issue 15's gate targets, for the default gate (card.oodGate.default): AUROC
 * >= 0.99 against knee, CIFAR-10 and MNIST, >= 0.95 against the other population, blank,
 * near-constant and noise images rejected, >= 95 % of in-distribution test images accepted. Every
 * figure is measured here; met or not, all of it goes in the card.
 */
import * as tf from "@tensorflow/tfjs";
import {analyse} from "../src/pipeline/analyse.js";
import type {Card} from "../src/pipeline/bundle/card.js";
import type {Bundle} from "../src/pipeline/bundle/load.js";
import type {DecodedImage} from "../src/pipeline/image/types.js";
import {oodAuroc, mulberry32} from "../src/pipeline/metrics.js";
import {GATE_SCORE_HIGHER_IS_OUT, isInDistribution, type GateScores} from "../src/pipeline/ood.js";
import {fprAtTpr} from "../src/pipeline/ood-evaluation.js";
import {gateDecision} from "../src/pipeline/ood-gate.js";

export interface ScoredSet {
  set: string;
  ood: GateScores[];
  /** Refused by the pixel check. */
  refused: boolean[];
}

/** Blank, near-constant and noise images, made here (the white, grey, 1 x 1, ramp; black; noise). */
export function degenerateImages(size = 256): {name: string; image: DecodedImage}[] {
  const make = (name: string, width: number, height: number, value: (x: number, y: number) => number) => {
    const data = new Float32Array(width * height);
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = value(x, y);
    return {name, image: {width, height, channels: 1, data} as DecodedImage};
  };
  const random = mulberry32(15);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  return [
    make("white", size, size, () => 1),
    make("black", size, size, () => 0),
    make("grey", size, size, () => 0.5),
    make("1 x 1 grey", 1, 1, () => 0.5),
    make("horizontal ramp", size, size, (x) => x / (size - 1)),
    make("diagonal ramp", size, size, (x, y) => (x + y) / (2 * size - 2)),
    make("grey with faint noise (std 0.005)", size, size, () => 0.5 + 0.005 * normal()),
    make("uniform noise", size, size, () => random()),
    make("Gaussian noise (mean 0.5, std 0.2)", size, size, () => Math.min(1, Math.max(0, 0.5 + 0.2 * normal()))),
    make("salt and pepper", size, size, () => (random() < 0.5 ? 0 : 1))
  ];
}

export function gateTargets(bundle: Bundle, card: Card, test: {ood: GateScores[]; refused: boolean[]}, sets: ScoredSet[], otherPopulation: string) {
  const decision = gateDecision(card)!;
  const higherIsOut = GATE_SCORE_HIGHER_IS_OUT[decision.score];
  const accepted = (scores: GateScores, refused: boolean) => !refused && isInDistribution(scores, decision);
  const inside = test.ood.map((s) => s[decision.score]!);
  const testAccepted = test.ood.filter((s, i) => accepted(s, test.refused[i]!)).length / test.ood.length;
  const targetOf = (set: string) => (set === otherPopulation ? 0.95 : 0.99);
  const perSet = sets.map(({set, ood, refused}) => {
    const auroc = oodAuroc(inside, ood.map((s) => s[decision.score]!), higherIsOut);
    return {
      set,
      images: ood.length,
      auroc,
      fprAt95Tpr: fprAtTpr(inside, ood.map((s) => s[decision.score]!), higherIsOut),
      rejected: ood.filter((s, i) => !accepted(s, refused[i]!)).length / ood.length,
      refusedByCheck: refused.filter(Boolean).length,
      target: targetOf(set),
      met: auroc >= targetOf(set)
    };
  });
  const degenerate = degenerateImages().map(({name, image}) => {
    const analysis = analyse(bundle, image, {methods: []});
    return {
      image: name,
      rejected: !analysis.gate.inDistribution,
      check: analysis.gate.check.code,
      message: analysis.gate.check.message,
      predicted: analysis.predictions !== null,
      score: analysis.ood ? {...analysis.ood.scores, ...(analysis.gate.featureScores ?? {})}[decision.score] ?? null : null
    };
  });
  const degenerateMet = degenerate.every((d) => d.rejected && !d.predicted);
  return {
    score: decision.score,
    threshold: decision.threshold,
    inDistributionWhen: decision.inDistributionWhen,
    testImages: test.ood.length,
    inDistributionTestAccepted: testAccepted,
    acceptanceTarget: 0.95,
    acceptanceMet: testAccepted >= 0.95,
    sets: perSet,
    degenerate,
    degenerateMet,
    allMet: testAccepted >= 0.95 && degenerateMet && perSet.every((s) => s.met),
    backend: tf.getBackend()
  };
}
