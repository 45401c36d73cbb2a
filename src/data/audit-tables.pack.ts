// The batch audit's tables (images, predictions, ood, explanations, faithfulness, sanity, localisation,
// errors, metrics, run; the three explanation checks are empty here: the sample audit does not ask for them) for a
// small sample of the local datasets with the default bundle, as Parquet files in one pack (see
// audit-sample.ts and README.md, "Batch audit"). Fails with a clear message without the bundle.
import {printTablesPack} from "./audit-sample.js";

await printTablesPack();
