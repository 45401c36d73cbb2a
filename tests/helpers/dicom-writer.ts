/**
 * Builds small DICOM files byte by byte, for edge cases no tool writes on demand (signed 12-bit
 * data with garbage high bits, VOI LUT sequences, planar RGB, junk JPEG 2000...). Little endian only;
 * explicit or implicit VR, chosen by the transfer syntax.
 */

export const TS = {
  implicitLittle: "1.2.840.10008.1.2",
  explicitLittle: "1.2.840.10008.1.2.1",
  jpegBaseline: "1.2.840.10008.1.2.4.50",
  jpeg2000: "1.2.840.10008.1.2.4.90"
} as const;

export type Vr =
  | "AE" | "AS" | "CS" | "DA" | "DS" | "DT" | "IS" | "LO" | "LT" | "PN" | "SH" | "ST" | "TM" | "UI" | "UT"
  | "US" | "SS" | "UL" | "SL" | "FL" | "FD" | "OB" | "OW" | "SQ";

export type DicomValue =
  | string
  | number
  | number[]
  | Uint8Array
  | Uint16Array
  | Int16Array
  | DicomElement[][] // SQ: a list of items, each a list of elements
  | {fragments: Uint8Array[]}; // encapsulated (compressed) Pixel Data

export interface DicomElement {
  /** 0xGGGGEEEE */
  tag: number;
  vr: Vr;
  value: DicomValue;
}

export const el = (tag: number, vr: Vr, value: DicomValue): DicomElement => ({tag, vr, value});

/** VRs whose explicit form has 2 reserved bytes and a 32-bit length. */
const LONG_VRS = new Set(["OB", "OW", "OF", "SQ", "UT", "UN"]);
const UNDEFINED = 0xffffffff;

class Bytes {
  private parts: number[] = [];
  u8(...values: number[]) {
    this.parts.push(...values);
  }
  u16(v: number) {
    this.u8(v & 0xff, (v >> 8) & 0xff);
  }
  u32(v: number) {
    this.u16(v & 0xffff);
    this.u16((v >>> 16) & 0xffff);
  }
  bytes(b: Uint8Array) {
    for (const x of b) this.parts.push(x);
  }
  toArray() {
    return Uint8Array.from(this.parts);
  }
}

function valueBytes(e: DicomElement, explicit: boolean): Uint8Array {
  const {vr, value} = e;
  const out = new Bytes();
  const list = (Array.isArray(value) ? value : [value]) as number[];
  switch (vr) {
    case "US":
      list.forEach((v) => out.u16(v));
      break;
    case "SS":
      list.forEach((v) => out.u16(v & 0xffff));
      break;
    case "UL":
    case "SL":
      list.forEach((v) => out.u32(v >>> 0));
      break;
    case "FL":
    case "FD": {
      const size = vr === "FL" ? 4 : 8;
      const view = new DataView(new ArrayBuffer(size * list.length));
      list.forEach((v, i) => (vr === "FL" ? view.setFloat32(i * 4, v, true) : view.setFloat64(i * 8, v, true)));
      out.bytes(new Uint8Array(view.buffer));
      break;
    }
    case "OB":
      out.bytes(value as Uint8Array);
      break;
    case "OW":
      for (const v of value as Uint16Array | Int16Array) out.u16(v & 0xffff);
      break;
    case "SQ":
      for (const item of value as DicomElement[][]) {
        const body = dataSet(item, explicit);
        out.u16(0xfffe);
        out.u16(0xe000);
        out.u32(body.length);
        out.bytes(body);
      }
      break;
    default: {
      const text = Array.isArray(value) ? value.join("\\") : String(value);
      out.bytes(new TextEncoder().encode(text));
    }
  }
  let bytes = out.toArray();
  if (bytes.length % 2) {
    const padded = new Uint8Array(bytes.length + 1);
    padded.set(bytes);
    padded[bytes.length] = vr === "UI" || vr === "OB" ? 0 : 0x20; // UIDs pad with NUL, text with space
    bytes = padded;
  }
  return bytes;
}

function element(e: DicomElement, explicit: boolean, out: Bytes) {
  out.u16(e.tag >>> 16);
  out.u16(e.tag & 0xffff);
  const encapsulated = typeof e.value === "object" && "fragments" in e.value;
  if (explicit) {
    out.u8(e.vr.charCodeAt(0), e.vr.charCodeAt(1));
    if (LONG_VRS.has(e.vr)) out.u16(0);
  }
  if (encapsulated) {
    out.u32(UNDEFINED);
    out.u16(0xfffe); // empty Basic Offset Table item
    out.u16(0xe000);
    out.u32(0);
    for (const fragment of (e.value as {fragments: Uint8Array[]}).fragments) {
      const even = fragment.length % 2 ? Uint8Array.from([...fragment, 0]) : fragment;
      out.u16(0xfffe);
      out.u16(0xe000);
      out.u32(even.length);
      out.bytes(even);
    }
    out.u16(0xfffe); // Sequence Delimitation Item
    out.u16(0xe0dd);
    out.u32(0);
    return;
  }
  const body = valueBytes(e, explicit);
  if (explicit && !LONG_VRS.has(e.vr)) out.u16(body.length);
  else out.u32(body.length);
  out.bytes(body);
}

function dataSet(elements: DicomElement[], explicit: boolean): Uint8Array {
  const out = new Bytes();
  for (const e of [...elements].sort((a, b) => a.tag - b.tag)) element(e, explicit, out);
  return out.toArray();
}

export interface WriteOptions {
  /** Default explicit VR little endian. */
  transferSyntax?: string;
  /** Write the 128-byte preamble, "DICM" and the meta group (default true); false gives a bare data set. */
  fileMeta?: boolean;
}

/** A Part 10 file (or a bare data set) holding `elements`. */
export function writeDicom(elements: DicomElement[], options: WriteOptions = {}): Uint8Array {
  const transferSyntax = options.transferSyntax ?? TS.explicitLittle;
  const body = dataSet(elements, transferSyntax !== TS.implicitLittle);
  if (options.fileMeta === false) return body;
  const metaElements = dataSet(
    [
      el(0x00020001, "OB", Uint8Array.of(0, 1)),
      el(0x00020002, "UI", "1.2.840.10008.5.1.4.1.1.7"), // Secondary Capture Image Storage
      el(0x00020003, "UI", "1.2.3.4.5.6.7.8.9"),
      el(0x00020010, "UI", transferSyntax),
      el(0x00020012, "UI", "1.2.3.4.5.6.7.8.10")
    ],
    true
  );
  const groupLength = new Bytes();
  element(el(0x00020000, "UL", metaElements.length), true, groupLength);
  const header = groupLength.toArray();
  const file = new Uint8Array(132 + header.length + metaElements.length + body.length);
  file.set(new TextEncoder().encode("DICM"), 128);
  file.set(header, 132);
  file.set(metaElements, 132 + header.length);
  file.set(body, 132 + header.length + metaElements.length);
  return file;
}

/** The Image Pixel module for a greyscale image; add or override attributes with `extra`. */
export function greyImage(
  width: number,
  height: number,
  pixels: Uint8Array | Uint16Array | Int16Array | {fragments: Uint8Array[]},
  extra: DicomElement[] = [],
  bits: {allocated: number; stored: number; signed?: boolean} = {allocated: 16, stored: 16}
): DicomElement[] {
  const base = [
    el(0x00080016, "UI", "1.2.840.10008.5.1.4.1.1.7"),
    el(0x00080060, "CS", "OT"),
    el(0x00280002, "US", 1),
    el(0x00280004, "CS", "MONOCHROME2"),
    el(0x00280010, "US", height),
    el(0x00280011, "US", width),
    el(0x00280100, "US", bits.allocated),
    el(0x00280101, "US", bits.stored),
    el(0x00280102, "US", bits.stored - 1),
    el(0x00280103, "US", bits.signed ? 1 : 0),
    el(0x7fe00010, bits.allocated === 8 ? "OB" : "OW", pixels)
  ];
  const overridden = new Set(extra.map((e) => e.tag));
  return [...base.filter((e) => !overridden.has(e.tag)), ...extra];
}
