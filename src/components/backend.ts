/**
 * The TF.js backend for workbench pages: the wasm backend's browser build with its .wasm files
 * served by the site itself (copied into the build through import.meta.resolve), never a CDN; and
 * WebGL where it is faster. Chosen by measurement, not by name: WebGL without a GPU falls back to a
 * software renderer that is 15-30x slower than wasm.
 */
import {setWasmPaths} from "@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.fesm.js";
import {probeBackend, selectBackend, type BackendName} from "../pipeline/backend.js";

export const WASM_FILES = {
  "tfjs-backend-wasm.wasm": import.meta.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"),
  "tfjs-backend-wasm-simd.wasm": import.meta.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm"),
  "tfjs-backend-wasm-threaded-simd.wasm": import.meta.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm")
};

export interface PageBackend {
  name: BackendName;
  /** Milliseconds of the probe on each backend that started (median of 3 after a warm-up). */
  probeMs: Partial<Record<BackendName, number>>;
  /** How the choice was made, for the page to show. */
  reason: string;
}

const CHOICE_KEY = "cxr-workbench-backend";

/**
 * Starts the fastest of `candidates` by a quick probe (remembered for this browser session, so
 * later pages start at once); `forced` (e.g. ?backend=wasm) skips the probe.
 */
export async function initPageBackend(candidates: BackendName[] = ["wasm", "webgl"], forced?: BackendName | null): Promise<PageBackend> {
  setWasmPaths(WASM_FILES);
  if (forced) return {name: await selectBackend([forced, "wasm", "cpu"]), probeMs: {}, reason: "chosen in the address (?backend=)"};
  const remembered = sessionStorage.getItem(CHOICE_KEY);
  if (remembered) {
    const saved = JSON.parse(remembered) as PageBackend;
    if (candidates.includes(saved.name) && (await selectBackend([saved.name]).catch(() => null)) === saved.name)
      return {...saved, reason: `${saved.reason} (measured earlier in this session)`};
  }
  const probeMs: Partial<Record<BackendName, number>> = {};
  const failures: string[] = [];
  for (const name of candidates) {
    try {
      if ((await selectBackend([name])) === name) probeMs[name] = probeBackend();
    } catch (error) {
      // A backend that cannot start is simply not a candidate; say why.
      failures.push(`${name}: ${(error as Error).message}`);
      console.warn(`TF.js backend ${name} did not start:`, error);
    }
  }
  const ranked = (Object.entries(probeMs) as [BackendName, number][]).sort((a, b) => a[1] - b[1]);
  const name = ranked[0]?.[0] ?? (await selectBackend(["cpu"]));
  await selectBackend([name]);
  const reason = ranked.length > 1 ? `fastest by measurement (${ranked.map(([n, ms]) => `${n} ${ms.toFixed(1)} ms`).join(", ")})` : ranked.length ? "the only backend that started" : "no accelerated backend started";
  const why = failures.length ? `; ${failures.join("; ")}` : "";
  const choice: PageBackend = {name, probeMs, reason: reason + why};
  sessionStorage.setItem(CHOICE_KEY, JSON.stringify(choice));
  return choice;
}

/**
 * The main thread's backend where the models run in a worker: only small work is left here
 * (upsampling a map for display), which the cpu backend does at once, with no WebGL shader
 * compilation and no wasm download.
 */
export async function initDisplayBackend(): Promise<void> {
  await selectBackend(["cpu"]);
}
