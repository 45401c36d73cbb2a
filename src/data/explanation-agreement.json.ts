// Every explanation method under every faithfulness metric over a small fixed sample, per bundle,
// with Kendall's tau between the metrics' rankings (see explanation-agreement.ts): computed once
// at build time for the Explanation evaluation page. Progress goes to stderr.
import {explanationAgreement} from "./explanation-agreement.js";

try {
  const result = await explanationAgreement({log: (line) => process.stderr.write(`explanation-agreement: ${line}\n`)});
  process.stdout.write(JSON.stringify(result));
} catch (error) {
  console.error(`explanation-agreement.json: ${(error as Error).message}`);
  process.exit(1);
}
