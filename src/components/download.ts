/** Local downloads: a Blob made in the page, saved through a blob: URL. Nothing is uploaded. */
import {csvCell} from "./csv-cell.js";
import {html} from "./html.js";

export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A button that builds its file when pressed (so large exports cost nothing until asked for). */
export function downloadButton(label: string, filename: string, make: () => Blob | Promise<Blob>): HTMLButtonElement {
  const button = html`<button type="button">${label}</button>` as HTMLButtonElement;
  button.onclick = async () => {
    button.disabled = true;
    try {
      saveBlob(await make(), filename);
    } finally {
      button.disabled = false;
    }
  };
  return button;
}

/** CSV text from rows of plain values (RFC 4180 quoting; formula-like cells neutralised, see csv-cell.ts). */
export function toCsv(rows: Record<string, unknown>[]): string {
  if (!rows.length) return "";
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return [columns.map(csvCell).join(","), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(","))].join("\n") + "\n";
}

export function canvasBlob(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("the canvas could not be encoded"))), "image/png"));
}
