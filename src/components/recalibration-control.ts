/**
 * Open a recalibration file (src/pipeline/recalibration.ts; fitted with `npm run audit --
 * --fit-recalibration`) and apply it on top of a model's outputs. Its value is the checked file, or
 * null. The file's text is kept in this browser's IndexedDB and named in the workbench state per
 * model, so Prediction and Analyse apply the same file; it never goes in an address. A file fitted
 * for another model (another card hash, another finding set) is refused with the reason, and
 * whatever was applied before stays applied.
 */
import type {ModelRef} from "./workbench-params.js";
import {readRecalibrationText, saveRecalibrationText, workbench} from "./workbench-state.js";
import {parseRecalibration, type Recalibration, type RecalibrationTarget} from "../pipeline/recalibration.js";
import {html} from "./html.js";

/** SHA-256 of bytes as hex (the form recalibration files and the audit's run table use). */
export async function sha256Hex(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes instanceof Uint8Array ? bytes.slice().buffer : bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

export interface RecalibrationControlOptions extends RecalibrationTarget {
  /** The workbench's reference to the model (the file is remembered per model). */
  model: ModelRef | null;
}

export type RecalibrationControl = HTMLElement & {value: Recalibration | null};

function describe(file: Recalibration, name: string): HTMLElement {
  const entries = Object.entries(file.findings);
  const methods = [...new Set(entries.map(([, m]) => m.method))].join(", ");
  return html`<span>Applied: <b class="recalibration-name">${name}</b> (${methods}, fitted for ${file.bundle.name} on ${file.fittedOn.n} images,
    ${file.fittedOn.at.slice(0, 10)}: ${file.fittedOn.description}) to ${entries.length === 1 ? "finding" : `${entries.length} findings`}
    ${entries.map(([f]) => f).join(", ")}. It maps the bundle's probabilities; the bundle itself is unchanged.</span>`;
}

/**
 * The control, once any file remembered for this model has been read back and checked (so a page
 * draws with it applied from the start).
 */
export async function recalibrationControl(options: RecalibrationControlOptions): Promise<RecalibrationControl> {
  const {model, ...target} = options;
  const id = `recalibration-${Math.random().toString(36).slice(2)}`;
  const input = html`<input type="file" id=${id} accept=".json,application/json">` as HTMLInputElement;
  const status = html`<span class="recalibration-status" role="status"></span>` as HTMLElement;
  const problem = html`<p class="warning recalibration-error" role="alert" hidden></p>` as HTMLElement;
  const remove = html`<button type="button" hidden>Remove the recalibration</button>` as HTMLButtonElement;
  const node = html`<div class="recalibration-control">
    <p><label for=${id}>Recalibration file</label> ${input} ${remove}</p>
    <p>${status}</p>${problem}</div>` as RecalibrationControl;
  node.value = null;

  const show = (file: Recalibration | null, name = "") => {
    node.value = file;
    status.replaceChildren(
      file
        ? describe(file, name)
        : html`<span class="muted">None applied: the bundle's own probabilities. Fit one on your labelled data with
          <code>npm run audit -- --images DIR --labels CSV --out OUT</code> then <code>npm run audit -- --fit-recalibration platt --out OUT</code>.</span>`
    );
    remove.hidden = !file;
  };
  const refuse = (name: string, error: unknown) => {
    problem.hidden = false;
    problem.textContent = `${name} was not applied: ${(error as Error).message.replace(/^recalibration file does not apply: /, "")}.`;
  };
  const emit = () => node.dispatchEvent(new Event("input", {bubbles: true}));

  // The file remembered for this model (opened on this page or another).
  const remembered = workbench.recalibration(model);
  show(null);
  if (remembered) {
    const text = await readRecalibrationText(remembered.id);
    if (text === null) refuse(remembered.name, new Error("this browser no longer has it; open it again"));
    else {
      try {
        show(parseRecalibration(text, target), remembered.name);
      } catch (error) {
        refuse(remembered.name, error);
      }
    }
  }

  input.addEventListener("change", async (event) => {
    event.stopPropagation();
    const file = input.files?.[0];
    if (!file) return;
    problem.hidden = true;
    const text = await file.text();
    let parsed: Recalibration;
    try {
      parsed = parseRecalibration(text, target);
    } catch (error) {
      // Refused: what was applied stays applied.
      refuse(file.name, error);
      input.value = "";
      return;
    }
    workbench.setRecalibration(await saveRecalibrationText(file.name, text), model);
    show(parsed, file.name);
    input.value = "";
    emit();
  });
  input.addEventListener("input", (event) => event.stopPropagation());
  remove.addEventListener("click", () => {
    workbench.setRecalibration(null, model);
    problem.hidden = true;
    show(null);
    emit();
  });
  return node;
}
