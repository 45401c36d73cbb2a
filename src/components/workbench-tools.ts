/**
 * On every page: a skip link for keyboard users and the projector switch (large text, full-width
 * charts), which is part of the workbench state so it follows the user from page to page.
 */
import {html} from "./html.js";
import {workbench} from "./workbench-state.js";

export function installWorkbenchTools(): void {
  if (typeof document === "undefined" || document.getElementById("workbench-tools")) return;
  const main = document.getElementById("observablehq-main") ?? document.querySelector("main");
  if (main && !main.id) main.id = "observablehq-main";
  const skip = html`<a class="skip-link" href="#observablehq-main">Skip to the page's content</a>` as HTMLAnchorElement;
  document.body.prepend(skip);
  const toggle = html`<label class="workbench-tools" id="workbench-tools"><input type="checkbox" id="projector-toggle"> Projector mode (large text, wide charts)</label>` as HTMLLabelElement;
  const box = toggle.querySelector("input") as HTMLInputElement;
  box.checked = workbench.get().projector;
  box.addEventListener("change", () => workbench.update({projector: box.checked}));
  const sidebar = document.querySelector("#observablehq-sidebar");
  (sidebar ?? main)?.prepend(toggle);
}

installWorkbenchTools();

/**
 * Inputs.range names only its number box; every slider on every page gets its form's label as its
 * accessible name too (as labelSlider does for the ones a page names itself).
 */
function nameSliders(root: ParentNode): void {
  for (const slider of root.querySelectorAll<HTMLInputElement>("input[type=range]:not([aria-label])")) {
    const label = slider.closest("form")?.querySelector("label")?.textContent?.trim();
    if (label) slider.setAttribute("aria-label", label);
  }
}

if (typeof MutationObserver !== "undefined" && typeof document !== "undefined") {
  nameSliders(document);
  new MutationObserver(() => nameSliders(document)).observe(document.body, {childList: true, subtree: true});
}
