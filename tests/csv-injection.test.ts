/** CSV downloads (toCsv, used by every page's "Download CSV") never hand a spreadsheet a formula. */
import {csvParse} from "d3";
import {describe, expect, it} from "vitest";
import {csvCell} from "../src/components/csv-cell.js";
import {toCsv} from "../src/components/download.js";
import {formulaCells} from "./corpus/bad-inputs.js";

describe("CSV injection", () => {
  it("every formula-like text cell is prefixed with ' and quoted, and reads back as text", () => {
    const rows = formulaCells.map((value, i) => ({path: value, n: i}));
    const csv = toCsv(rows);
    const parsed = csvParse(csv);
    expect(parsed.length).toBe(formulaCells.length);
    parsed.forEach((row, i) => {
      const original = formulaCells[i]!;
      // What a spreadsheet sees first in the cell is the quote, never = + - @ tab or CR.
      expect(row.path).toBe(`'${original}`);
      expect(row.n).toBe(String(i));
    });
    for (const line of csv.split("\n").slice(1, -1)) expect(line.startsWith(`"'`)).toBe(true);
  });

  it("numbers, negative ones included, and ordinary text are written unchanged", () => {
    expect(csvCell(-0.25)).toBe("-0.25");
    expect(csvCell("-0.25")).toBe("-0.25");
    expect(csvCell("+1e-3")).toBe("+1e-3");
    expect(csvCell(true)).toBe("true");
    expect(csvCell(null)).toBe("");
    expect(csvCell("cxr-peds/test/NORMAL/a.jpeg")).toBe("cxr-peds/test/NORMAL/a.jpeg");
    expect(csvCell('say "hi", twice')).toBe('"say ""hi"", twice"');
    expect(csvCell(new Date(0))).toBe("1970-01-01T00:00:00.000Z");
    // A cell that only looks numeric at the start is text and is neutralised.
    expect(csvCell("-1+2")).toBe(`"'-1+2"`);
  });
});
