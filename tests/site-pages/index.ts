/** The page checks of tests/site.test.ts, one file per page (see page-check.ts). */
import explanation from "./explanation.js";
import explanationEvaluation from "./explanation-evaluation.js";
import type {PageCheck} from "./page-check.js";

export const PAGE_CHECKS: PageCheck[] = [explanation, explanationEvaluation];
