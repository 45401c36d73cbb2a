/**
 * One contender in tests/audit-race.test.ts: waits for the start signal (a file), then claims the
 * output folder with an audit configuration whose alphas are `variant`. Prints "accepted" or
 * "refused: <message>".
 */
import {existsSync} from "node:fs";
import {claimOutput, type AuditConfig} from "../../src/pipeline/node/audit/output-config.js";

const [out, variant, go] = process.argv.slice(2) as [string, string, string];
const config: AuditConfig = {
  format: "cxr-workbench/audit@1",
  bundle: "race",
  findings: ["Pneumonia"],
  operatingPoints: [0.5],
  fingerprint: {cardSha256: "c", findings: ["Pneumonia"], shards: 4, explain: ["cam"], alphas: [Number(variant)], chunkSize: 32, images: 10, imagesSha256: "i", labelsSha256: null}
};
process.stdout.write("ready\n");
while (!existsSync(go)) await new Promise((r) => setTimeout(r, 2));
try {
  claimOutput(out, config);
  process.stdout.write(`accepted ${variant}\n`);
} catch (error) {
  process.stdout.write(`refused ${variant}: ${(error as Error).message}\n`);
}
