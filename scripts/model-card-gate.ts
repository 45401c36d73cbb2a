/** The model card's section on the gate over every score (npm run ood-stats): the choice and the targets, met or not. */
import type {Card} from "../src/pipeline/bundle/card.js";

interface Choice {
  validationImages: number;
  thresholdRule: string;
  rule: string;
  default: string;
  candidates: {score: string; meanAuroc: number; auroc: Record<string, number>}[];
  imageCheck: {limits: Record<string, number>; train: {images: number; refused: number; min: Record<string, number>}; validation: {images: number; refused: number; min: Record<string, number>}};
}
interface Report {
  measuredBy: string;
  /** Absent: every image of each set (npm run evaluate). */
  imagesPerSet?: number;
  score: string;
  threshold: number;
  testImages: number;
  inDistributionTestAccepted: number;
  sets: {set: string; images: number; auroc: number; fprAt95Tpr: number; rejected: number; target: number; met: boolean}[];
  degenerate: {image: string; rejected: boolean; check: string | null; predicted: boolean}[];
  degenerateMet: boolean;
  allMet: boolean;
  everyScore: {set: string; auroc: Record<string, number>; fprAt95Tpr: Record<string, number>}[];
}

const f3 = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? "–" : v.toFixed(3));
const pct = (v: number) => `${(100 * v).toFixed(1)} %`;

export function renderGateSection(card: Card): string[] {
  const metrics = card.metrics as {oodGateChoice?: Choice; oodGate?: Report} | undefined;
  const choice = metrics?.oodGateChoice;
  if (!choice || !card.oodGate) return [];
  const stats = card.provenance?.oodFeatures as {trainingImages: number; classes: Record<string, number>; shrinkage: number; referenceImages: number; k: number; split: string} | undefined;
  const lines = ["## The gate over every score (feature space and autoencoder)", ""];
  if (stats)
    lines.push(
      `Feature-space statistics (\`${card.oodFeatures?.path}\`, \`npm run ood-stats\`): pooled features of ${stats.trainingImages} evenly spaced training images (${stats.split}); classes ${Object.entries(stats.classes).map(([c, n]) => `${c} ${n}`).join(", ")}; tied covariance shrunk by Ledoit-Wolf (intensity ${stats.shrinkage.toFixed(3)}); kNN over ${stats.referenceImages} unit-length training features, k = ${stats.k}.`,
      ""
    );
  lines.push(
    `Default gate: **${card.oodGate.default}**, chosen on the ${choice.validationImages} validation images only: ${choice.rule}. Thresholds: ${choice.thresholdRule}.`,
    "",
    `| score | mean AUROC vs synthetic outliers | ${Object.keys(choice.candidates[0]?.auroc ?? {}).join(" | ")} |`,
    `|---|---|${Object.keys(choice.candidates[0]?.auroc ?? {}).map(() => "---").join("|")}|`,
    ...choice.candidates.map((c) => `| ${c.score === choice.default ? `**${c.score}**` : c.score} | ${f3(c.meanAuroc)} | ${Object.values(c.auroc).map(f3).join(" | ")} |`),
    "",
    `Pixel check before any model (limits ${Object.entries(choice.imageCheck.limits).map(([k, v]) => `${k} ${v}`).join(", ")}): refused ${choice.imageCheck.train.refused} of ${choice.imageCheck.train.images} training and ${choice.imageCheck.validation.refused} of ${choice.imageCheck.validation.images} validation images; their smallest contrast ${f3(Math.min(choice.imageCheck.train.min.contrast!, choice.imageCheck.validation.min.contrast!))}, detail ${Math.min(choice.imageCheck.train.min.detail!, choice.imageCheck.validation.min.detail!).toFixed(4)}, neighbour correlation ${f3(Math.min(choice.imageCheck.train.min.correlation!, choice.imageCheck.validation.min.correlation!))}.`,
    ""
  );
  const report = metrics?.oodGate;
  if (!report) return lines;
  const scores = Object.keys(report.everyScore[0]?.auroc ?? {});
  lines.push(
    report.imagesPerSet ? `### Targets (issue 15, item 3), measured on ${report.imagesPerSet} evenly spaced images per set` : "### Targets (issue 15, item 3), measured on every image of each set",
    "",
    report.imagesPerSet
      ? `\`${report.measuredBy}\`. A first report on subsets; \`npm run evaluate\` re-measures on every image.`
      : `\`${report.measuredBy}\`: the test split and every image of each out-of-distribution set.`,
    "",
    "| set | images | AUROC (default gate) | target | FPR at 95 % TPR | rejected at the gate | |",
    "|---|---|---|---|---|---|---|",
    `| test (in distribution) | ${report.testImages} | | accept >= 95 % | | ${pct(1 - report.inDistributionTestAccepted)} | ${report.inDistributionTestAccepted >= 0.95 ? "met" : "**missed**"} |`,
    ...report.sets.map((s) => `| ${s.set} | ${s.images} | ${f3(s.auroc)} | >= ${s.target} | ${pct(s.fprAt95Tpr)} | ${pct(s.rejected)} | ${s.met ? "met" : "**missed**"} |`),
    "",
    `Blank, near-constant and noise images (${report.degenerate.map((d) => `${d.image}: ${d.rejected && !d.predicted ? `refused (${d.check ?? "gate"})` : "**passed**"}`).join("; ")}): ${report.degenerateMet ? "all refused before prediction (met)" : "**not all refused**"}. All targets: ${report.allMet ? "met" : "**not all met**"}.`,
    "",
    `AUROC / FPR at 95 % TPR of every score on the same images:`,
    "",
    `| set | ${scores.join(" | ")} |`,
    `|---|${scores.map(() => "---").join("|")}|`,
    ...report.everyScore.map((s) => `| ${s.set} | ${scores.map((k) => `${f3(s.auroc[k])} / ${pct(s.fprAt95Tpr[k]!)}`).join(" | ")} |`),
    ""
  );
  return lines;
}
