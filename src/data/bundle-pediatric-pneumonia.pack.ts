// The default bundle as one file (see src/pipeline/bundle/pack.ts): one request, one cache entry.
import {printBundlePack} from "./bundle-pack.js";

printBundlePack("pediatric-pneumonia");
