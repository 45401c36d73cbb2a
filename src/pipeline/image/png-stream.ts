/**
 * PNG decoded row by row into a GreyReducer (reduce.ts), for images too large to hold: the image
 * data is inflated into one fixed buffer (inflate-stream.ts), each row unfiltered as soon as it is
 * complete and handed over in grey; only two rows of bytes and the inflater's window are ever held. fast-png, the
 * full-resolution decoder (png.ts), inflates the whole image first: 537 MB for a 16-bit RGBA
 * 8192 x 8191 image whose file is 510 KB. The grey is what png.ts + preprocess.ts compute: grey as
 * stored, colour through BT.601, alpha dropped, a palette looked up, over (2^depth - 1).
 */
import {readerOf, slices, type ByteReader} from "./byte-reader.js";
import {inflatePieces, InflateEndError} from "./inflate-stream.js";
import {checkChunks, readPngHeader} from "./png.js";
import {GreyReducer, LUMA_8} from "./reduce.js";
import {ImageDecodeError, type DecodedImage, type ReduceTarget} from "./types.js";

const COLOUR_NAMES: Record<number, string> = {0: "greyscale", 2: "RGB", 3: "palette", 4: "greyscale+alpha", 6: "RGBA"};
const SAMPLES: Record<number, number> = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4};

/** Adam7 passes: first column, first row, column step, row step. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2]
] as const;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of [from, to), read in slices. */
function crc32(reader: ByteReader, from: number, to: number): number {
  let c = 0xffffffff;
  for (const piece of slices(reader, from, to)) for (let i = 0; i < piece.length; i++) c = CRC_TABLE[(c ^ piece[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const u32 = (b: Uint8Array, at: number) => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;

interface Chunks {
  data: [number, number][];
  palette?: Uint8Array;
}

/** Every chunk's CRC (as fast-png with checkCrc), the IDAT ranges, PLTE. png.ts has checked the layout. */
function readChunks(reader: ByteReader): Chunks {
  const out: Chunks = {data: []};
  let at = 8;
  while (at + 12 <= reader.length) {
    const head = reader.read(at, at + 8);
    const length = u32(head, 0);
    const type = String.fromCharCode(head[4]!, head[5]!, head[6]!, head[7]!);
    const end = at + 8 + length;
    if (crc32(reader, at + 4, end) !== u32(reader.read(end, end + 4), 0)) throw new ImageDecodeError("corrupt", `PNG could not be decoded: CRC mismatch for chunk ${type}`);
    if (type === "IDAT") out.data.push([at + 8, end]);
    if (type === "PLTE") out.palette = reader.read(at + 8, end);
    if (type === "IEND") break;
    at = end + 4;
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Undoes a row's filter in place (PNG 9.2); `prev` is the previous row of the same pass, unfiltered. */
function unfilter(filter: number, row: Uint8Array, prev: Uint8Array, bpp: number, length: number): void {
  switch (filter) {
    case 0:
      return;
    case 1:
      for (let i = bpp; i < length; i++) row[i] = (row[i]! + row[i - bpp]!) & 0xff;
      return;
    case 2:
      for (let i = 0; i < length; i++) row[i] = (row[i]! + prev[i]!) & 0xff;
      return;
    case 3:
      for (let i = 0; i < length; i++) row[i] = (row[i]! + (((i >= bpp ? row[i - bpp]! : 0) + prev[i]!) >> 1)) & 0xff;
      return;
    case 4:
      for (let i = 0; i < length; i++) row[i] = (row[i]! + paeth(i >= bpp ? row[i - bpp]! : 0, prev[i]!, i >= bpp ? prev[i - bpp]! : 0)) & 0xff;
      return;
    default:
      throw new ImageDecodeError("corrupt", `PNG could not be decoded: unknown filter type ${filter}`);
  }
}

/** The memory decodePngReduced holds, at most: rows, the inflater's buffer and tables, the reducer. */
export function pngReducedBytes(width: number, height: number, rowBytes: number, target?: ReduceTarget): number {
  return 2 * (rowBytes + 1) + 8 * width + 2 ** 18 + GreyReducer.bytes(width, height, target);
}

/** `file`: its bytes, or a reader (byte-reader.ts) that reads a Blob in slices and never holds it whole. */
export function decodePngReduced(file: Uint8Array | ByteReader, target?: ReduceTarget): DecodedImage {
  const reader = readerOf(file);
  const header = readPngHeader(reader.read(0, 64));
  const {width, height, bitDepth: depth, colourType, interlaced} = header;
  const {hasTransparency} = checkChunks(reader); // truncation, said as png.ts says it
  const {data: idat, palette} = readChunks(reader);
  const samples = SAMPLES[colourType]!;
  const max = 2 ** depth - 1;
  const bpp = Math.max(1, (samples * depth) >> 3);

  // Grey of one palette index (BT.601 of its RGB), NaN for an index the palette lacks.
  let paletteGrey: Float64Array | undefined;
  if (colourType === 3) {
    if (!palette) throw new ImageDecodeError("corrupt", "palette PNG has no PLTE chunk");
    paletteGrey = new Float64Array(256).fill(NaN);
    for (let i = 0; i < Math.floor(palette.length / 3); i++) {
      paletteGrey[i] = LUMA_8[palette[i * 3]!]! + LUMA_8[256 + palette[i * 3 + 1]!]! + LUMA_8[512 + palette[i * 3 + 2]!]!;
    }
  }

  const reducer = new GreyReducer(width, height, target);
  const passes = interlaced
    ? ADAM7.map(([x0, y0, dx, dy]) => ({x0, y0, dx, dy, w: Math.ceil((width - x0) / dx), h: Math.ceil((height - y0) / dy)})).filter((p) => p.w > 0 && p.h > 0)
    : [{x0: 0, y0: 0, dx: 1, dy: 1, w: width, h: height}];
  const maxRowBytes = Math.ceil((width * samples * depth) / 8);
  let row = new Uint8Array(maxRowBytes);
  let prev = new Uint8Array(maxRowBytes);
  const grey = new Float64Array(width);

  // Where the stream is: pass, row within it, bytes of the current row (filter byte first) so far.
  let pass = 0;
  let passRow = 0;
  let filled = 0;
  let filter = 0;
  let rowBytes = Math.ceil((passes[0]!.w * samples * depth) / 8);
  let done = false;

  const emit = () => {
    const p = passes[pass]!;
    unfilter(filter, row, prev, bpp, rowBytes);
    const n = p.w;
    if (depth === 8) {
      if (colourType === 0 || colourType === 4) for (let i = 0; i < n; i++) grey[i] = row[i * samples]! / 255;
      else if (colourType === 3) for (let i = 0; i < n; i++) grey[i] = paletteGrey![row[i]!]!;
      else for (let i = 0, o = 0; i < n; i++, o += samples) grey[i] = LUMA_8[row[o]!]! + LUMA_8[256 + row[o + 1]!]! + LUMA_8[512 + row[o + 2]!]!;
    } else if (depth === 16) {
      const at = (s: number) => ((row[2 * s]! << 8) | row[2 * s + 1]!) / max;
      if (colourType === 0 || colourType === 4) for (let i = 0; i < n; i++) grey[i] = at(i * samples);
      else for (let i = 0, s = 0; i < n; i++, s += samples) grey[i] = 0.299 * at(s) + 0.587 * at(s + 1) + 0.114 * at(s + 2);
    } else {
      // 1, 2 or 4 bits: grey or palette, packed from the high bits.
      for (let i = 0; i < n; i++) {
        const bit = i * depth;
        const v = (row[bit >> 3]! >> (8 - depth - (bit & 7))) & max;
        grey[i] = paletteGrey ? paletteGrey[v]! : v / max;
      }
    }
    if (paletteGrey) {
      for (let i = 0; i < n; i++) if (Number.isNaN(grey[i])) throw new ImageDecodeError("corrupt", "PNG pixel refers to a palette entry that does not exist");
    }
    const y = p.y0 + passRow * p.dy;
    if (p.dx === 1) reducer.addRow(y, grey);
    else reducer.addPixels(y, p.x0, p.dx, grey, n);
    [row, prev] = [prev, row];
    filled = 0;
    if (++passRow === p.h) {
      passRow = 0;
      if (++pass === passes.length) done = true;
      else {
        rowBytes = Math.ceil((passes[pass]!.w * samples * depth) / 8);
        prev.fill(0); // each pass starts with a row of zeros above it
      }
    }
  };

  const onData = (chunk: Uint8Array): boolean => {
    let i = 0;
    while (i < chunk.length && !done) {
      if (filled === 0) {
        filter = chunk[i++]!;
        filled = 1;
        continue;
      }
      const take = Math.min(rowBytes - (filled - 1), chunk.length - i);
      row.set(chunk.subarray(i, i + take), filled - 1);
      filled += take;
      i += take;
      if (filled - 1 === rowBytes) emit();
    }
    // Data after the last row is ignored, as fast-png does.
    return done;
  };

  try {
    // zlib: a 2-byte header (deflate, no preset dictionary), the deflate stream, then Adler-32 (not checked, as fast-png).
    const ranges: [number, number][] = [];
    let skip = 2;
    let header0 = -1;
    for (const [from, to] of idat) {
      let at = from;
      while (skip > 0 && at < to) {
        const byte = reader.read(at, at + 1)[0]!;
        if (header0 < 0) header0 = byte;
        else if ((header0 & 0x0f) !== 8 || ((header0 << 8) | byte) % 31 !== 0 || byte & 0x20) {
          throw new ImageDecodeError("corrupt", "PNG could not be decoded: its image data is not a zlib stream");
        }
        at++;
        skip--;
      }
      if (at < to) ranges.push([at, to]);
    }
    inflatePieces((function* () {
      for (const [from, to] of ranges) yield* slices(reader, from, to);
    })(), onData);
  } catch (error) {
    if (error instanceof ImageDecodeError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new ImageDecodeError(error instanceof InflateEndError ? "truncated" : "corrupt", `PNG could not be decoded: ${message}`, undefined, {cause: error});
  }
  if (!done) {
    const rows = passes.slice(0, pass).reduce((n, p) => n + p.h, 0) + passRow;
    const total = passes.reduce((n, p) => n + p.h, 0);
    throw new ImageDecodeError("truncated", `PNG image data ends after ${rows} of ${total} rows`);
  }

  const reduced = reducer.finish();
  return {
    width: reduced.width,
    height: reduced.height,
    channels: 1,
    data: reduced.data,
    format: "png",
    bitDepth: depth,
    info: {
      colourType: COLOUR_NAMES[colourType]!,
      bitDepth: depth,
      interlaced,
      hadAlpha: samples === 2 || samples === 4 || hasTransparency,
      reducedBy: reduced.reduced.factor
    },
    reduced: reduced.reduced
  };
}
