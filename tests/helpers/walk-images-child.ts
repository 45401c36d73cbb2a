/** For tests/audit-hostile.test.ts: walkImages(argv[2]) as JSON, run as another user (root reads any folder). */
import {walkImages} from "../../src/pipeline/node/audit/images.js";

try {
  const walk = walkImages(process.argv[2]!);
  process.stdout.write(JSON.stringify({files: walk.files, problems: Object.fromEntries(walk.problems)}));
} catch (error) {
  process.stdout.write(JSON.stringify({thrown: (error as Error).message}));
}
