// The batch audit's `errors` table for a small sample of the local datasets, with the default bundle
// (see audit-sample.ts and README.md, "Batch audit"). Fails with a clear message without the bundle.
import {printTable} from "./audit-sample.js";

await printTable("errors");
