/**
 * Plain-language notes beside a result, where a user would otherwise be puzzled: why a DICOM's
 * prediction differs from a JPEG of the same image (the VOI window), and which kinds of image the
 * bundle's gate is known to let through (from the card's own OOD evaluation).
 */
import type {Card} from "../pipeline/bundle/card.js";
import type {DecodedImage} from "../pipeline/image/types.js";
import {html} from "./html.js";

export function dicomWindowNote(decoded: Omit<DecodedImage, "data">): HTMLElement | null {
  if (decoded.format !== "dicom") return null;
  const info = decoded.info;
  const voi = String(info.voi ?? "unknown");
  const window = info.windowCenter !== undefined ? ` (centre ${Number(info.windowCenter).toPrecision(5)}, width ${Number(info.windowWidth).toPrecision(5)})` : "";
  const why = voi === "min-max"
    ? "The file gives no window, so its own range of values was stretched to black–white."
    : voi.startsWith("window")
      ? "This is the window the file itself asks for."
      : "";
  return html`<p class="note" id="dicom-window">This DICOM was turned into grey levels through <b>${voi}</b>${window}${decoded.info.inverted ? ", then inverted (MONOCHROME1)" : ""}.
    ${why} A JPEG or PNG of the same X-ray was windowed by whatever exported it, so its grey levels, and so the model's input and
    predictions, can differ a little from this one's. The viewer below starts at this window; changing it there is for looking only.</p>`;
}

interface CardOodSet {
  set: string;
  images: number;
  rejectedAtThreshold: number;
}

/**
 * The sets the card's own evaluation shows the default gate accepting many of (rejected under
 * 60 %): from `metrics.oodGate` where the card has a gate over every score, else the autoencoder
 * gate's `metrics.ood`.
 */
export function gateBlindSpots(card: Card): CardOodSet[] {
  const metrics = (card as unknown as {metrics?: {ood?: {sets?: CardOodSet[]}; oodGate?: {sets?: {set: string; images: number; rejected: number}[]}}}).metrics;
  const sets: CardOodSet[] = metrics?.oodGate?.sets
    ? metrics.oodGate.sets.map((s) => ({set: s.set, images: s.images, rejectedAtThreshold: s.rejected}))
    : (metrics?.ood?.sets ?? []);
  return sets.filter((s) => Number.isFinite(s.rejectedAtThreshold) && s.rejectedAtThreshold < 0.6);
}

export function gateBlindSpotNote(card: Card, {userGate = false} = {}): HTMLElement | null {
  const spots = gateBlindSpots(card);
  if (!spots.length) return null;
  return html`<p class="warning" id="gate-warning">Passing the gate is not proof that the image suits this model: the card's own
    evaluation shows the ${userGate ? "card's " : ""}gate accepting ${spots.map((s, i) => html`${i ? (i === spots.length - 1 ? " and " : ", ") : ""}<b>${((1 - s.rejectedAtThreshold) * 100).toFixed(1)} % of ${s.set}</b> images`)}
    (a population this model was not trained on). ${card.description ?? ""} See the model card's known limitations.</p>`;
}
