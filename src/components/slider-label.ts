/**
 * Inputs.range labels only its number box; the slider beside it gets no accessible name. This names
 * it too, so screen readers and keyboard users (and tests, by role) find "slider: <label>".
 */
export function labelSlider<T extends HTMLElement>(form: T, label: string): T {
  form.querySelector("input[type=range]")?.setAttribute("aria-label", label);
  return form;
}
