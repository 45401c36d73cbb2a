/**
 * Deflate (RFC 1951) decoded into one fixed buffer, handed on in pieces as it fills: for images too
 * large to inflate whole (png-stream.ts). The decoder runs synchronously to the end, or until the
 * consumer says it has what it needs, taking its input piece by piece as it goes (views of the file
 * in memory, or slices read from it: byte-reader.ts). It allocates nothing per output piece: fflate's streaming Inflate, used
 * before, allocates a new output buffer (grown by doubling) and a copy of it on every push, some 5x
 * the output in garbage (2.7 GB for a 16-bit RGBA 8192 x 8191 PNG of 510 KB, whose 537 MB of
 * pixels then cost the page's heap 150 MB and 20 s in Chromium).
 *
 * The input may be split over many pieces (a PNG's IDAT chunks), each read in place. The zlib header
 * and the Adler-32 check are the caller's (PNG readers do not check it).
 */

/** Lengths 257..285 and distances 0..29: base values and extra bits (RFC 1951 3.2.5). */
const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** The order in which code-length code lengths are stored (RFC 1951 3.2.7). */
const CLEN_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

const WINDOW = 32768;
/** Output handed on in pieces of about this size. */
const PIECE = 65536;
/** The longest match, so a match never has to be split across a flush. */
const MAX_MATCH = 258;

/** Thrown for compressed data that ends early (png-stream.ts says "truncated"). */
export class InflateEndError extends Error {
  constructor() {
    super("unexpected EOF: the compressed data ends early");
  }
}

/**
 * A canonical Huffman code as a lookup table over its longest code's bits (read least significant
 * first): entry = symbol << 4 | code length; 0 for a bit pattern no code starts (an incomplete code).
 */
interface HuffmanTable {
  table: Int32Array;
  bits: number;
}

function huffmanTable(lengths: ArrayLike<number>, count: number): HuffmanTable {
  let bits = 0;
  const perLength = new Uint16Array(16);
  for (let s = 0; s < count; s++) {
    const l = lengths[s]!;
    perLength[l]!++;
    if (l > bits) bits = l;
  }
  perLength[0] = 0;
  // An over-subscribed code is corrupt; an incomplete one is allowed (a lone distance code).
  let left = 1;
  for (let l = 1; l <= 15; l++) {
    left = (left << 1) - perLength[l]!;
    if (left < 0) throw new Error("invalid Huffman code: over-subscribed");
  }
  const next = new Uint16Array(16);
  for (let l = 1, code = 0; l <= 15; l++) {
    code = (code + perLength[l - 1]!) << 1;
    next[l] = code;
  }
  const size = 1 << Math.max(bits, 1);
  const table = new Int32Array(size);
  for (let s = 0; s < count; s++) {
    const l = lengths[s]!;
    if (!l) continue;
    // The code is stored most significant bit first: reverse it to index by the bits as read.
    let code = next[l]!++;
    let reversed = 0;
    for (let i = 0; i < l; i++, code >>= 1) reversed = (reversed << 1) | (code & 1);
    for (let i = reversed; i < size; i += 1 << l) table[i] = (s << 4) | l;
  }
  return {table, bits: Math.max(bits, 1)};
}

const FIXED_LITERALS = huffmanTable(
  Array.from({length: 288}, (_, s) => (s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8)),
  288
);
const FIXED_DISTANCES = huffmanTable(new Array(30).fill(5), 30);

/**
 * Inflates the deflate stream held in `ranges` of `bytes` (read in order, as one stream), calling
 * `onData` with each piece of output (a view of the decoder's own buffer: copy what is kept). When
 * `onData` returns true the decoder stops. Returns true when the whole stream was decoded, false when
 * the consumer stopped it.
 * Corrupt data throws an Error saying why; data that ends early throws InflateEndError.
 */
export function inflateRanges(bytes: Uint8Array, ranges: readonly (readonly [number, number])[], onData: (piece: Uint8Array) => boolean | void): boolean {
  return inflatePieces(
    ranges.map(([from, to]) => bytes.subarray(from, to)),
    onData
  );
}

/** inflateRanges over the compressed stream given as pieces, each taken only when needed (a file read in slices). */
export function inflatePieces(pieces: Iterable<Uint8Array>, onData: (piece: Uint8Array) => boolean | void): boolean {
  const source = pieces[Symbol.iterator]();
  let input: Uint8Array = new Uint8Array(0);
  let at = 0;
  let exhausted = false;
  let bitBuffer = 0;
  let bitCount = 0;
  /** Bytes "read" past the end of the input (zeros), allowed only while no code uses them. */
  let overrun = 0;

  const nextByte = (): number => {
    while (at >= input.length) {
      const next = exhausted ? undefined : source.next();
      if (!next || next.done) {
        exhausted = true;
        overrun++;
        return 0;
      }
      input = next.value;
      at = 0;
    }
    return input[at++]!;
  };
  const need = (n: number) => {
    while (bitCount < n) {
      bitBuffer |= nextByte() << bitCount;
      bitCount += 8;
    }
  };
  const take = (n: number): number => {
    need(n);
    const v = bitBuffer & ((1 << n) - 1);
    bitBuffer >>>= n;
    bitCount -= n;
    return v;
  };
  /** Bits consumed past the real input mean the data ended early. */
  const checkEnd = () => {
    if (overrun * 8 > bitCount) throw new InflateEndError();
  };
  /** Corrupt data, unless the bits that look corrupt are the zeros read past the end. */
  const corrupt = (message: string): never => {
    checkEnd();
    throw new Error(message);
  };
  const decode = (code: HuffmanTable): number => {
    need(code.bits);
    const entry = code.table[bitBuffer & ((1 << code.bits) - 1)]!;
    const length = entry & 15;
    if (!length) corrupt("invalid Huffman code in the compressed data");
    bitBuffer >>>= length;
    bitCount -= length;
    return entry >> 4;
  };

  const out = new Uint8Array(WINDOW + PIECE + MAX_MATCH);
  let p = 0;
  let flushedTo = 0;
  let stopped = false;
  /** Hands on what was written since the last piece; keeps the last 32 KB as the window. */
  const flush = () => {
    if (p > flushedTo && onData(out.subarray(flushedTo, p)) === true) stopped = true;
    if (p > WINDOW) {
      out.copyWithin(0, p - WINDOW, p);
      p = WINDOW;
    }
    flushedTo = p;
  };

  let last = false;
  while (!last && !stopped) {
    last = take(1) === 1;
    const type = take(2);
    checkEnd();
    if (type === 0) {
      // Stored: to a byte boundary, LEN and NLEN, then LEN bytes as they are.
      bitBuffer >>>= bitCount & 7;
      bitCount -= bitCount & 7;
      const length = take(16);
      const check = take(16);
      checkEnd();
      if ((length ^ 0xffff) !== check) corrupt("invalid stored block lengths");
      for (let i = 0; i < length && !stopped; i++) {
        // Whole bytes still in the bit buffer come first.
        out[p++] = bitCount >= 8 ? take(8) : nextByte();
        if (p >= WINDOW + PIECE) flush();
      }
      if (overrun) throw new InflateEndError();
      continue;
    }
    if (type === 3) corrupt("invalid block type 3");
    let literals = FIXED_LITERALS;
    let distances = FIXED_DISTANCES;
    if (type === 2) {
      const nLiterals = take(5) + 257;
      const nDistances = take(5) + 1;
      const nCodeLengths = take(4) + 4;
      if (nLiterals > 286 || nDistances > 30) corrupt("invalid dynamic block header: too many length or distance symbols");
      const codeLengthLengths = new Uint8Array(19);
      for (let i = 0; i < nCodeLengths; i++) codeLengthLengths[CLEN_ORDER[i]!] = take(3);
      checkEnd();
      const codeLengths = huffmanTable(codeLengthLengths, 19);
      const lengths = new Uint8Array(nLiterals + nDistances);
      for (let i = 0; i < lengths.length; ) {
        const symbol = decode(codeLengths);
        if (symbol < 16) lengths[i++] = symbol;
        else {
          let repeat: number, value = 0;
          if (symbol === 16) {
            if (i === 0) corrupt("invalid code lengths: a repeat with nothing before it");
            value = lengths[i - 1]!;
            repeat = 3 + take(2);
          } else if (symbol === 17) repeat = 3 + take(3);
          else repeat = 11 + take(7);
          if (i + repeat > lengths.length) corrupt("invalid code lengths: a repeat past the end");
          lengths.fill(value, i, i + repeat);
          i += repeat;
        }
      }
      checkEnd();
      if (!lengths[256]) corrupt("invalid code lengths: no end-of-block code");
      literals = huffmanTable(lengths.subarray(0, nLiterals), nLiterals);
      distances = huffmanTable(lengths.subarray(nLiterals), nDistances);
    }
    for (;;) {
      const symbol = decode(literals);
      if (symbol < 256) {
        out[p++] = symbol;
      } else if (symbol === 256) {
        break;
      } else {
        const li = symbol - 257;
        if (li >= 29) corrupt("invalid length symbol");
        const length = LENGTH_BASE[li]! + (LENGTH_EXTRA[li] ? take(LENGTH_EXTRA[li]!) : 0);
        const di = decode(distances);
        if (di >= 30) corrupt("invalid distance symbol");
        const distance = DIST_BASE[di]! + (DIST_EXTRA[di] ? take(DIST_EXTRA[di]!) : 0);
        if (distance > p) corrupt("invalid distance: too far back");
        if (length > 32 && distance >= length) out.copyWithin(p, p - distance, p - distance + length);
        else for (let i = 0; i < length; i++) out[p + i] = out[p + i - distance]!;
        p += length;
      }
      if (p >= WINDOW + PIECE) {
        checkEnd();
        flush();
        if (stopped) break;
      }
    }
    checkEnd();
  }
  if (!stopped) flush();
  return !stopped;
}
