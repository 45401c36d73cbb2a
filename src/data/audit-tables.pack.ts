// The batch audit's seven tables (images, predictions, ood, explanations, errors, metrics, run) for a
// small sample of the local datasets with the default bundle, as Parquet files in one pack (see
// audit-sample.ts and README.md, "Batch audit"). Fails with a clear message without the bundle.
import {printTablesPack} from "./audit-sample.js";

await printTablesPack();
