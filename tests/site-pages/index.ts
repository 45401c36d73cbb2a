/** The page checks of tests/site.test.ts, one file per page (see page-check.ts). */
import analyseBackend from "./analyse-backend.js";
import analyseViewer from "./analyse-viewer.js";
import explanation from "./explanation.js";
import explanationEvaluation from "./explanation-evaluation.js";
import ood from "./ood.js";
import type {PageCheck} from "./page-check.js";
import prediction from "./prediction.js";
import predictionConsequences from "./prediction-consequences.js";
import walkthrough from "./walkthrough.js";

export const PAGE_CHECKS: PageCheck[] = [ood, prediction, predictionConsequences, analyseViewer, explanation, explanationEvaluation, walkthrough, analyseBackend];
