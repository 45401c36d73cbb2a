// The 14-finding adult bundle as one file (see src/pipeline/bundle/pack.ts).
import {printBundlePack} from "./bundle-pack.js";

printBundlePack("nih-chestxray14");
