/**
 * A baseline JPEG encoder that takes the image a row at a time, for the tests' generated images:
 * jpeg-js's encoder needs the whole image as RGBA (256 MB for 8000 x 8000), and cannot write
 * chroma subsampling or restart intervals, which the decoders must handle. Standard tables of
 * ITU T.81 Annex K, the IJG quality scaling; a plain float DCT (speed is not the point).
 */

export interface JpegWriterOptions {
  width: number;
  height: number;
  /** 1: grey rows (one sample per pixel); 3: RGB rows, written as YCbCr. */
  components: 1 | 3;
  /** Chroma sampling of a colour image: [h, v] of the luma component (chroma is 1 x 1). Default [2, 2] (4:2:0). */
  lumaSampling?: [number, number];
  /** 1-100, default 90. */
  quality?: number;
  /** MCUs between restart markers; 0 (default) for none. */
  restartInterval?: number;
}

// prettier-ignore
const ZIGZAG = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63];
// prettier-ignore
const LUMA_Q = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99];
// prettier-ignore
const CHROMA_Q = [17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99, ...Array(32).fill(99)];
const DC_LUMA = {bits: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]};
const DC_CHROMA = {bits: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], values: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]};
// prettier-ignore
const AC_LUMA = {bits: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d], values: [
  0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08,
  0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
  0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59,
  0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
  0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6,
  0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
  0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa]};
// prettier-ignore
const AC_CHROMA = {bits: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77], values: [
  0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91,
  0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
  0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58,
  0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
  0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4,
  0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
  0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa]};

/** Code and length per symbol of a canonical Huffman table. */
function codes(table: {bits: number[]; values: number[]}): {code: Int32Array; length: Int32Array} {
  const code = new Int32Array(256);
  const length = new Int32Array(256);
  let c = 0;
  let k = 0;
  for (let l = 1; l <= 16; l++) {
    for (let i = 0; i < table.bits[l - 1]!; i++, k++, c++) {
      code[table.values[k]!] = c;
      length[table.values[k]!] = l;
    }
    c <<= 1;
  }
  return {code, length};
}

class Output {
  private chunks: Uint8Array[] = [];
  private buf = new Uint8Array(1 << 20);
  private at = 0;
  private bitBuf = 0;
  private bitCnt = 0;
  byte(b: number) {
    if (this.at === this.buf.length) {
      this.chunks.push(this.buf);
      this.buf = new Uint8Array(1 << 20);
      this.at = 0;
    }
    this.buf[this.at++] = b;
  }
  word(w: number) {
    this.byte(w >> 8);
    this.byte(w & 0xff);
  }
  bits(value: number, n: number) {
    // n <= 16 and at most 7 bits pending: fits in 32 bits.
    this.bitBuf = (this.bitBuf << n) | (value & ((1 << n) - 1));
    this.bitCnt += n;
    while (this.bitCnt >= 8) {
      const b = (this.bitBuf >>> (this.bitCnt - 8)) & 0xff;
      this.byte(b);
      if (b === 0xff) this.byte(0); // stuffing
      this.bitCnt -= 8;
    }
    this.bitBuf &= (1 << this.bitCnt) - 1;
  }
  /** Pads the last byte with ones (T.81 F.1.2.3). */
  flush() {
    if (this.bitCnt) this.bits(0x7f, 8 - this.bitCnt);
  }
  toArray(): Uint8Array {
    const out = new Uint8Array(this.chunks.length * (1 << 20) + this.at);
    this.chunks.forEach((c, i) => out.set(c, i << 20));
    out.set(this.buf.subarray(0, this.at), this.chunks.length << 20);
    return out;
  }
}

const COS = Float64Array.from({length: 64}, (_, i) => Math.cos(((2 * (i & 7) + 1) * (i >> 3) * Math.PI) / 16)); // [u][x]
/** 1/4 C(u) C(v) of the DCT, per coefficient. */
const NORM = Float64Array.from({length: 64}, (_, i) => 0.25 * (i >> 3 ? 1 : Math.SQRT1_2) * (i & 7 ? 1 : Math.SQRT1_2));

/** 8 x 8 samples (level-shifted) -> quantized coefficients in natural order. */
function fdct(block: Float64Array, q: Int32Array, out: Int32Array, tmp: Float64Array): void {
  for (let y = 0; y < 8; y++)
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let x = 0; x < 8; x++) s += block[y * 8 + x]! * COS[u * 8 + x]!;
      tmp[y * 8 + u] = s;
    }
  for (let v = 0; v < 8; v++)
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let y = 0; y < 8; y++) s += tmp[y * 8 + u]! * COS[v * 8 + y]!;
      out[v * 8 + u] = Math.round((NORM[v * 8 + u]! * s) / q[v * 8 + u]!);
    }
}

/** Writes a baseline JPEG; `row(y, out)` fills `out` with row y (width x components samples, 0-255). */
export function writeJpeg(options: JpegWriterOptions, row: (y: number, out: Uint8Array) => void): Uint8Array {
  const {width, height, components} = options;
  const quality = options.quality ?? 90;
  const restart = options.restartInterval ?? 0;
  const [hY, vY] = components === 3 ? (options.lumaSampling ?? [2, 2]) : [1, 1];
  const scale = quality < 50 ? 5000 / quality : 200 - quality * 2;
  const quant = (base: number[]) => Int32Array.from(base, (v) => Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))));
  const qY = quant(LUMA_Q);
  const qC = quant(CHROMA_Q);
  const huff = [
    {dc: codes(DC_LUMA), ac: codes(AC_LUMA)},
    {dc: codes(DC_CHROMA), ac: codes(AC_CHROMA)}
  ];

  const out = new Output();
  out.word(0xffd8);
  out.word(0xffdb);
  out.word(2 + (components === 3 ? 2 : 1) * 65);
  for (const [id, q] of (components === 3 ? [[0, qY], [1, qC]] : [[0, qY]]) as [number, Int32Array][]) {
    out.byte(id);
    for (let i = 0; i < 64; i++) out.byte(q[ZIGZAG[i]!]!);
  }
  out.word(0xffc0);
  out.word(8 + 3 * components);
  out.byte(8);
  out.word(height);
  out.word(width);
  out.byte(components);
  out.byte(1);
  out.byte((hY << 4) | vY);
  out.byte(0);
  if (components === 3) for (const id of [2, 3]) out.byte(id), out.byte(0x11), out.byte(1);
  out.word(0xffc4);
  const tables = components === 3 ? [[0x00, DC_LUMA], [0x10, AC_LUMA], [0x01, DC_CHROMA], [0x11, AC_CHROMA]] : [[0x00, DC_LUMA], [0x10, AC_LUMA]];
  out.word(2 + (tables as [number, {values: number[]}][]).reduce((n, [, t]) => n + 17 + t.values.length, 0));
  for (const [spec, t] of tables as [number, {bits: number[]; values: number[]}][]) {
    out.byte(spec);
    t.bits.forEach((b) => out.byte(b));
    t.values.forEach((v) => out.byte(v));
  }
  if (restart) {
    out.word(0xffdd);
    out.word(4);
    out.word(restart);
  }
  out.word(0xffda);
  out.word(6 + 2 * components);
  out.byte(components);
  out.byte(1);
  out.byte(0x00);
  if (components === 3) for (const id of [2, 3]) out.byte(id), out.byte(0x11);
  out.byte(0);
  out.byte(63);
  out.byte(0);

  // One band of MCU rows at a time: luma and chroma planes of the band, edges replicated.
  const mcuW = 8 * hY;
  const mcuH = 8 * vY;
  const mcusX = Math.ceil(width / mcuW);
  const mcusY = Math.ceil(height / mcuH);
  const bandW = mcusX * mcuW;
  const planes = Array.from({length: components}, () => new Float64Array(bandW * mcuH));
  const line = new Uint8Array(width * components);
  const block = new Float64Array(64);
  const tmp = new Float64Array(64);
  const coef = new Int32Array(64);
  const pred = [0, 0, 0];
  let mcuCount = 0;
  let rst = 0;

  const category = (v: number) => (v === 0 ? 0 : 32 - Math.clz32(Math.abs(v)));
  const amplitude = (v: number, n: number) => (v < 0 ? v + (1 << n) - 1 : v);
  const encodeBlock = (c: number, q: Int32Array, t: (typeof huff)[number]) => {
    fdct(block, q, coef, tmp);
    const diff = coef[0]! - pred[c]!;
    pred[c] = coef[0]!;
    const s = category(diff);
    out.bits(t.dc.code[s]!, t.dc.length[s]!);
    if (s) out.bits(amplitude(diff, s), s);
    let run = 0;
    for (let k = 1; k < 64; k++) {
      const v = coef[ZIGZAG[k]!]!;
      if (v === 0) {
        run++;
        continue;
      }
      while (run > 15) {
        out.bits(t.ac.code[0xf0]!, t.ac.length[0xf0]!);
        run -= 16;
      }
      const n = category(v);
      out.bits(t.ac.code[(run << 4) | n]!, t.ac.length[(run << 4) | n]!);
      out.bits(amplitude(v, n), n);
      run = 0;
    }
    if (run) out.bits(t.ac.code[0]!, t.ac.length[0]!);
  };

  for (let my = 0; my < mcusY; my++) {
    for (let y = 0; y < mcuH; y++) {
      row(Math.min(height - 1, my * mcuH + y), line);
      for (let x = 0; x < bandW; x++) {
        const o = Math.min(width - 1, x) * components;
        if (components === 1) planes[0]![y * bandW + x] = line[o]! - 128;
        else {
          const r = line[o]!, g = line[o + 1]!, b = line[o + 2]!;
          planes[0]![y * bandW + x] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
          planes[1]![y * bandW + x] = -0.168736 * r - 0.331264 * g + 0.5 * b;
          planes[2]![y * bandW + x] = 0.5 * r - 0.418688 * g - 0.081312 * b;
        }
      }
    }
    for (let mx = 0; mx < mcusX; mx++) {
      if (restart && mcuCount > 0 && mcuCount % restart === 0) {
        out.flush();
        out.word(0xffd0 + (rst++ & 7));
        pred.fill(0);
      }
      for (let by = 0; by < vY; by++)
        for (let bx = 0; bx < hY; bx++) {
          for (let i = 0; i < 64; i++) block[i] = planes[0]![(by * 8 + (i >> 3)) * bandW + mx * mcuW + bx * 8 + (i & 7)]!;
          encodeBlock(0, qY, huff[0]!);
        }
      for (let c = 1; c < components; c++) {
        // Chroma: the mean of each hY x vY group of samples.
        for (let i = 0; i < 64; i++) {
          let s = 0;
          for (let dy = 0; dy < vY; dy++) for (let dx = 0; dx < hY; dx++) s += planes[c]![((i >> 3) * vY + dy) * bandW + mx * mcuW + (i & 7) * hY + dx]!;
          block[i] = s / (hY * vY);
        }
        encodeBlock(c, qC, huff[1]!);
      }
      mcuCount++;
    }
  }
  out.flush();
  out.word(0xffd9);
  return out.toArray();
}
