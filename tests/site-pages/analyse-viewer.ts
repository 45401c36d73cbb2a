/**
 * Analyse's image viewer and recalibration, on a DICOM that dcmtk makes from a real pediatric
 * radiograph with a narrow window of its own (centre 160, width 100): the viewer starts at the file's
 * window, which clips the darkest pixels to black; the full range shows them apart; window/level
 * by slider, keys and mouse drag, zoom by button, key and wheel, pan by keys, and a reset that
 * gives back the very first view; none of it changes the model's input (the calls and raw outputs
 * stay). Readable on a projector (wider image, larger text). Then a recalibration file opened on
 * Analyse gives each finding's recalibrated probability beside the bundle's (the file's map,
 * exactly), and Prediction, reached by the sidebar, applies the same file.
 */
import {execFileSync} from "node:child_process";
import {mkdirSync, readdirSync} from "node:fs";
import path from "node:path";
import type {Page} from "playwright-core";
import {expect} from "vitest";
import {applyMap} from "../../src/pipeline/recalibration.js";
import {DATA_ROOT, TMP_ROOT} from "../helpers/paths.js";
import type {PageCheck} from "./page-check.js";
import {recalibrationFiles} from "./prediction-consequences.js";

/** The file's own window: everything below 110 is black in it, above 210 white. */
const CENTRE = 160;
const WIDTH = 100;

/** A DICOM with that window from a real pediatric radiograph (dcmtk). */
function windowedDicom(): string {
  const dir = path.join(TMP_ROOT, "site-viewer");
  mkdirSync(dir, {recursive: true});
  const folder = path.join(DATA_ROOT, "cxr-peds/test/PNEUMONIA");
  const jpeg = path.join(folder, readdirSync(folder).sort()[1]!);
  const file = path.join(dir, "windowed.dcm");
  execFileSync("img2dcm", [jpeg, path.join(dir, "jpeg.dcm")]);
  execFileSync("dcmdjpeg", [path.join(dir, "jpeg.dcm"), file]);
  execFileSync("dcmodify", ["-nb", "-i", `(0028,1050)=${CENTRE}`, "-i", `(0028,1051)=${WIDTH}`, file]);
  return file;
}

/** The viewer canvas's pixels: how many are pure black, and a fingerprint of all of them. */
function canvasStats(page: Page): Promise<{black: number; total: number; sum: number; hash: number}> {
  return page.locator(".image-viewer canvas.viewer-canvas").evaluate((canvas: HTMLCanvasElement) => {
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    let black = 0;
    let sum = 0;
    let hash = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i] === 0) black++;
      sum += data[i]!;
      hash = (hash * 31 + data[i]!) | 0;
    }
    return {black, total: data.length / 4, sum, hash};
  });
}

const readout = async (page: Page) => {
  const node = page.locator(".viewer-readout");
  return {center: Number(await node.getAttribute("data-center")), width: Number(await node.getAttribute("data-width")), zoom: Number(await node.getAttribute("data-zoom")), text: (await node.textContent())!};
};

/** The model's outputs as the page shows them: every finding's call and raw output. */
const calls = (page: Page) => page.locator("#finding-calls li").evaluateAll((items) => items.map((li) => `${li.getAttribute("data-finding")}:${li.getAttribute("data-call")}:${li.getAttribute("data-raw")}`));

const check: PageCheck = {
  path: "/index.html?bundle=pediatric-pneumonia",
  name: "analyse-viewer",
  async run(page) {
    await page.locator("#first-result").waitFor({timeout: 300_000});
    // Narrowly windowed, the image may look unusual to the gate: its predictions are shown anyway (marked).
    await page.getByLabel("Predict images the OOD gate rejects").check();
    await page.getByLabel("Open images").setInputFiles(windowedDicom());
    await page.getByRole("heading", {name: "windowed.dcm"}).waitFor({timeout: 180_000});
    const viewer = page.locator(".image-viewer");
    await viewer.waitFor();
    expect(await page.locator("#dicom-window").textContent()).toMatch(new RegExp(`window \\(LINEAR\\) \\(centre ${CENTRE}\\.00, width ${WIDTH}\\.00\\).*The viewer below starts at this window`, "s"));
    // The start: the file's own window, as the model got it.
    await expect.poll(async () => (await readout(page)).width).toBe(WIDTH);
    const first = await readout(page);
    expect([first.center, first.zoom]).toEqual([CENTRE, 1]);
    expect(first.text).toContain(`Window centre ${CENTRE}, width ${WIDTH} (stored values): the file's window, as analysed`);
    const outputs = await calls(page);
    expect(outputs.length).toBe(1);
    const start = await canvasStats(page);
    expect(start.black / start.total).toBeGreaterThan(0.1); // the window clips the dark ones to black

    // Wider than the file's window (by the exact boxes): the full range of the 8 stored bits; fewer black pixels.
    await page.getByRole("spinbutton", {name: "Window centre (exact)"}).fill("128");
    await page.getByRole("spinbutton", {name: "Window width (exact)"}).fill("256");
    await expect.poll(async () => (await readout(page)).width).toBe(256);
    expect((await readout(page)).text).toContain(`the analysis used centre ${CENTRE}, width ${WIDTH}`);
    await expect.poll(async () => (await canvasStats(page)).black).toBeLessThan(start.black / 2);

    // Keyboard: Shift with arrows changes the window; + zooms, arrows pan, 0 fits; R resets the window.
    const canvas = page.locator(".image-viewer canvas.viewer-canvas");
    await canvas.focus();
    await page.keyboard.press("Shift+ArrowLeft");
    await expect.poll(async () => (await readout(page)).width).toBeCloseTo(256 / 1.1, 6);
    await page.keyboard.press("+");
    await expect.poll(async () => (await readout(page)).zoom).toBe(2);
    const zoomed = await canvasStats(page);
    await page.keyboard.press("ArrowLeft");
    await expect.poll(async () => (await canvasStats(page)).hash).not.toBe(zoomed.hash);
    await page.getByRole("button", {name: "Zoom in (+)"}).click();
    await expect.poll(async () => (await readout(page)).zoom).toBe(4);
    await page.keyboard.press("0");
    await expect.poll(async () => (await readout(page)).zoom).toBe(1);
    // The wheel zooms too, around the pointer.
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width / 3, box.y + box.height / 3);
    await page.mouse.wheel(0, -300);
    await expect.poll(async () => (await readout(page)).zoom).toBeGreaterThan(1.4);
    await page.getByRole("button", {name: "Fit (0)"}).click();
    // Dragging (window/level mode): right widens, down raises the centre.
    const before = await readout(page);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 60, box.y + box.height / 2 + 40, {steps: 4});
    await page.mouse.up();
    const dragged = await readout(page);
    expect(dragged.width).toBeGreaterThan(before.width);
    expect(dragged.center).toBeGreaterThan(before.center);
    // Reset: the file's window again, and the very first view, pixel for pixel.
    await page.getByRole("button", {name: "Reset window (R)"}).click();
    await expect.poll(async () => (await readout(page)).width).toBe(WIDTH);
    await expect.poll(async () => (await canvasStats(page)).hash).toBe(start.hash);
    // Display only: the model's outputs did not move.
    expect(await calls(page)).toEqual(outputs);

    // On a projector: a wider image and larger text.
    const narrow = (await canvas.boundingBox())!.width;
    await page.getByLabel("Projector mode").check();
    await expect.poll(async () => (await canvas.boundingBox())!.width).toBeGreaterThan(narrow);
    expect(Number.parseFloat(await page.locator(".viewer-readout").evaluate((e) => getComputedStyle(e).fontSize))).toBeGreaterThanOrEqual(18);
    await page.getByLabel("Projector mode").uncheck();

    // A recalibration file opened here: each finding's recalibrated probability beside the bundle's.
    const {own, map} = recalibrationFiles();
    await page.getByLabel("Recalibration file").setInputFiles(own);
    const row = page.locator('.recalibrated-findings tr[data-finding="Pneumonia"]');
    await row.waitFor({timeout: 120_000});
    const raw = Number(outputs[0]!.split(":")[2]);
    expect(await row.locator('td[data-side="before"]').textContent()).toBe(raw.toFixed(4));
    expect((await row.locator('td[data-side="after"]').textContent())!.trim()).toBe(applyMap(map, raw).toFixed(4));
    expect(await calls(page)).toEqual(outputs); // the bundle's outputs and calls are unchanged

    // Prediction, by the sidebar in this tab: the same file applies there.
    await page.locator("#observablehq-sidebar").getByRole("link", {name: "Prediction"}).click();
    await page.locator(".recalibration-name").getByText("pediatric-platt.json").waitFor({timeout: 120_000});
    await page.locator('.recalibration-compare figure[data-side="after"]').waitFor();
  }
};

export default check;
