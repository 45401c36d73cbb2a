/** Where data loaders find the local datasets: $CXR_DATA, else ../shared/data next to the project. */
import path from "node:path";
import {fileURLToPath} from "node:url";

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const DATA_ROOT = path.resolve(process.env.CXR_DATA ?? path.join(PROJECT_ROOT, "../shared/data"));
