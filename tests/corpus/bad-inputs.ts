/**
 * The bad-input corpus, generated (never committed as binaries): every hostile input and fault the
 * reliability tests use, by issue 12's rows. Deterministic: the same call makes the same bytes.
 */

import {chmodSync, mkdirSync, symlinkSync, writeFileSync} from "node:fs";
import path from "node:path";
import {encode} from "fast-png";
import {Zlib} from "fflate";
import {writeJpeg} from "../helpers/jpeg-writer.js";
import {DATA_ROOT} from "../helpers/paths.js";

/** Cell values a spreadsheet would run as formulas (OWASP's CSV injection list, and its variants). */
export const formulaCells: readonly string[] = [
  "=1+1",
  '=HYPERLINK("http://203.0.113.1/x","click")',
  "+cmd|' /C calc'!A0",
  "-2+3",
  "@SUM(1+1)*cmd|' /C calc'!A0",
  "\t=1+1",
  "\r=1+1",
  '=cmd|"/c notepad"!A1, with "quotes"'
];

/**
 * SQL that tries to reach another host, the URL built at run time so no text filter can see it
 * (the ways issue 12 found through the old regex guard, and more). `port`: a local server that
 * stands for the remote host and must receive nothing.
 */
export function remoteSqlStatements(port: number): string[] {
  const host = `127.0.0.1:${port}`;
  const chr = (text: string) => [...text].map((c) => `chr(${c.charCodeAt(0)})`).join(" || ");
  return [
    `SELECT * FROM read_csv('htt' || 'p://${host}/x.csv')`,
    `SELECT * FROM read_csv(concat('http', '://', '${host}', '/x.csv'))`,
    `SELECT * FROM read_csv(${chr("http")} || '://${host}/x.csv')`,
    `SELECT * FROM read_csv('s3' || '://bucket/x.csv')`,
    `SELECT * FROM read_csv_auto(lower('HTTP://${host.toUpperCase()}/x.csv'))`,
    `SELECT * FROM read_parquet('http://${host}/x.parquet')`,
    `SELECT * FROM read_text('http://${host}/x.csv')`,
    `SELECT * FROM read_blob('http://${host}/x.csv')`,
    `ATTACH 'http://${host}/db.duckdb' AS remote`,
    `COPY (SELECT 1) TO 'http://${host}/out.csv'`,
    `LOAD httpfs`,
    `INSTALL httpfs`,
    `SET custom_extension_repository = 'http://${host}'`,
    `SET disabled_filesystems = ''`
  ];
}

// ---------------------------------------------------------------------------------------------
// Images and folders. Everything is written by code here; nothing binary is committed.


/** A grey 8-bit PNG whose pixel (x, y) is `value(x, y)` (0-255). */
export function greyPng(width: number, height: number, value: (x: number, y: number) => number): Uint8Array {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = value(x, y);
  return encode({width, height, data, channels: 1, depth: 8});
}

/**
 * Blank and near-constant images (issue 12, item 6: the OOD gate's to judge): white, mid grey,
 * black, a single pixel, and a smooth horizontal ramp. Only the images; what the gate must say
 * about them belongs to the gate's own tests.
 */
export function blankImages(size = 256): {name: string; bytes: Uint8Array}[] {
  return [
    {name: "blank-white.png", bytes: greyPng(size, size, () => 255)},
    {name: "blank-grey.png", bytes: greyPng(size, size, () => 128)},
    {name: "blank-black.png", bytes: greyPng(size, size, () => 0)},
    {name: "blank-1x1.png", bytes: greyPng(1, 1, () => 128)},
    {name: "blank-ramp.png", bytes: greyPng(size, size, (x) => Math.round((255 * x) / (size - 1)))}
  ];
}

/** Two non-UTF-8 file names (Latin-1 "é" and "è" bytes) that a lossy decoding turns into the same text. */
export const NON_UTF8_NAMES = [Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x70, 0x6e, 0x67]), Buffer.from([0x63, 0x61, 0x66, 0xe8, 0x2e, 0x70, 0x6e, 0x67])];

export interface HostileFolder {
  /** The images folder. */
  images: string;
  /** Readable images, relative. */
  good: string[];
  /** Paths that must each get an errors row, with the code it must carry. */
  problems: Record<string, string>;
  /** Shown paths of the two non-UTF-8 files (each byte outside ASCII as \xNN). */
  nonUtf8: string[];
}

/**
 * A folder of images with the file-system faults of issue 12, item 5: a dangling link, a link to
 * itself, a link to a folder above it, two files whose names are not UTF-8, and (when `unreadable`)
 * a folder with mode 000 (only refused to users other than root).
 */
export function hostileFolder(images: string, {unreadable = false} = {}): HostileFolder {
  mkdirSync(path.join(images, "sub"), {recursive: true});
  const image = (seed: number) => greyPng(48, 40, (x, y) => (x * 7 + y * 3 * seed + seed * 31) % 256);
  writeFileSync(path.join(images, "a.png"), image(1));
  writeFileSync(path.join(images, "sub/b.png"), image(2));
  symlinkSync("missing.png", path.join(images, "gone.png"));
  symlinkSync("self.png", path.join(images, "self.png"));
  symlinkSync("..", path.join(images, "sub/back"));
  writeFileSync(Buffer.concat([Buffer.from(images + path.sep), NON_UTF8_NAMES[0]!]), image(3));
  writeFileSync(Buffer.concat([Buffer.from(images + path.sep), NON_UTF8_NAMES[1]!]), image(4));
  const problems: Record<string, string> = {"gone.png": "dangling-link", "self.png": "link-loop", "sub/back": "link-loop"};
  if (unreadable) {
    mkdirSync(path.join(images, "locked"));
    writeFileSync(path.join(images, "locked/c.png"), image(5));
    chmodSync(path.join(images, "locked"), 0o000);
    problems["locked"] = "unreadable-folder";
  }
  return {images, good: ["a.png", "sub/b.png"], problems, nonUtf8: ["caf\\xe9.png", "caf\\xe8.png"]};
}

/**
 * Valid-looking images that claim to be huge while the file is tiny: only the header is real, which
 * is all a decoder may read before deciding whether it can afford the image.
 */
export function hugeImageHeaders(): {name: string; bytes: Uint8Array; width: number; height: number}[] {
  const jpeg = (width: number, height: number, components: number) => jpegHeaderOnly(width, height, components);
  return [
    {name: "huge-8000x8000-rgb.jpg", bytes: jpeg(8000, 8000, 3), width: 8000, height: 8000},
    {name: "huge-8192x8191-rgba16.png", bytes: pngHeaderOnly(8192, 8191, 16, 6), width: 8192, height: 8191}
  ];
}

/**
 * A JPEG that is only SOI, a frame header for width x height x components (all sampled 1 x 1) and
 * EOI: baseline (SOF0) or progressive (SOF2, whose reduced decode must hold every coefficient).
 */
export function jpegHeaderOnly(width: number, height: number, components: number, progressive = false): Uint8Array {
  const sof = [0xff, progressive ? 0xc2 : 0xc0, 0, 8 + 3 * components, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, components];
  for (let c = 0; c < components; c++) sof.push(c + 1, 0x11, 0);
  return Uint8Array.from([0xff, 0xd8, ...sof, 0xff, 0xd9]);
}

/** A PNG signature and IHDR (nothing else): enough for the header readers. */
function pngHeaderOnly(width: number, height: number, bitDepth: number, colourType: number): Uint8Array {
  const out = new Uint8Array(33);
  out.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(out.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  out.set([bitDepth, colourType, 0, 0, 0], 24);
  return out; // the CRC is not read by the header readers
}

// ---------------------------------------------------------------------------------------------
// Huge valid images (issue 12, item 2), written a row at a time so the test itself stays small.

/** A grey picture (values in [0, 1]) resampled bilinearly to width x height, a row at a time. */
export function upscaled(source: {width: number; height: number; data: Float32Array; channels: number}, width: number, height: number): (y: number, out: Float64Array) => void {
  const {width: sw, height: sh, data, channels} = source;
  const at = (x: number, y: number) => data[(y * sw + x) * channels]!;
  const xs = Float64Array.from({length: width}, (_, x) => Math.min(sw - 1, Math.max(0, ((x + 0.5) * sw) / width - 0.5)));
  return (y, out) => {
    const fy = Math.min(sh - 1, Math.max(0, ((y + 0.5) * sh) / height - 0.5));
    const y0 = Math.floor(fy), y1 = Math.min(sh - 1, y0 + 1), wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = xs[x]!, x0 = Math.floor(fx), x1 = Math.min(sw - 1, x0 + 1), wx = fx - x0;
      out[x] = (at(x0, y0) * (1 - wx) + at(x1, y0) * wx) * (1 - wy) + (at(x0, y1) * (1 - wx) + at(x1, y1) * wx) * wy;
    }
  };
}

/**
 * A 16-bit RGBA PNG (colour type 6) of `width` x `height`, written a row at a time through fflate's
 * streaming zlib (each row filtered Up): grey `value(y, out)` in [0, 1] as R = G = B, alpha opaque.
 */
export function rgba16Png(width: number, height: number, value: (y: number, out: Float64Array) => void): Uint8Array {
  const chunks: Uint8Array[] = [];
  const zlib = new Zlib({level: 1}, (data) => chunks.push(data));
  const grey = new Float64Array(width);
  let prev = new Uint8Array(width * 8);
  let row = new Uint8Array(width * 8);
  const filtered = new Uint8Array(1 + width * 8);
  filtered[0] = 2; // Up
  for (let y = 0; y < height; y++) {
    value(y, grey);
    for (let x = 0; x < width; x++) {
      // 8-bit grey as 16 bits (v * 257): the smooth rows then compress as a scan would (not 90 MB).
      const v = Math.round(Math.min(1, Math.max(0, grey[x]!)) * 255) * 257;
      const o = x * 8;
      row[o] = row[o + 2] = row[o + 4] = v >> 8;
      row[o + 1] = row[o + 3] = row[o + 5] = v & 0xff;
      row[o + 6] = row[o + 7] = 0xff;
    }
    for (let i = 0; i < row.length; i++) filtered[1 + i] = (row[i]! - prev[i]!) & 0xff;
    zlib.push(filtered, y === height - 1);
    [prev, row] = [row, prev];
  }
  const idat = concat(chunks);
  const chunk = pngChunk;
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([16, 6, 0, 0, 0], 8);
  return concat([Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), chunk("IHDR", ihdr), chunk("IDAT", idat), chunk("IEND", new Uint8Array(0))]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const CRC = Uint32Array.from({length: 256}, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
/** CRC-32 as PNG uses it (ISO 3309). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk: length, type, body and CRC, to build valid files by hand. */
export function pngChunk(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + body.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, body.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(body, 8);
  view.setUint32(8 + body.length, crc32(out.subarray(4, 8 + body.length)));
  return out;
}

/** A colour (YCbCr 4:2:0) baseline JPEG of `width` x `height`, grey `value(y, out)` in [0, 1] as R = G = B. */
export function greyAsColourJpeg(width: number, height: number, value: (y: number, out: Float64Array) => void, quality = 85): Uint8Array {
  const grey = new Float64Array(width);
  return writeJpeg({width, height, components: 3, quality}, (y, out) => {
    value(y, grey);
    for (let x = 0; x < width; x++) out[3 * x] = out[3 * x + 1] = out[3 * x + 2] = Math.round(Math.min(1, Math.max(0, grey[x]!)) * 255);
  });
}

/** The real radiograph (2444 x 2155 JPEG) the huge images are made from. */
export const HUGE_IMAGE_SOURCE = path.join(DATA_ROOT, "cxr-peds/originals/NORMAL/IM-0013-0001.jpeg");

/**
 * The two images of issue 12, item 2, from a real chest X-ray (`source`, decoded) upscaled: an
 * 8000 x 8000 colour JPEG and an 8192 x 8191 16-bit RGBA PNG. Valid, decodable, and far too large
 * to hold at full resolution (4.7 GB and 3.05 GB before the reducing decoders).
 */
export function hugeImages(source: {width: number; height: number; data: Float32Array; channels: number}): {name: string; bytes: Uint8Array; width: number; height: number}[] {
  return [
    {name: "huge-8000x8000-rgb.jpg", bytes: greyAsColourJpeg(8000, 8000, upscaled(source, 8000, 8000)), width: 8000, height: 8000},
    {name: "huge-8192x8191-rgba16.png", bytes: rgba16Png(8192, 8191, upscaled(source, 8192, 8191)), width: 8192, height: 8191}
  ];
}
