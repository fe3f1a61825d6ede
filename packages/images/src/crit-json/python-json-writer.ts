/**
 * Writes JSON text exactly as Python's `json.dump` lays it out (crit is a Python program), a
 * token at a time into one growing byte buffer: `indent` spaces per level, or ", " and ": " on one
 * line without; every non-ASCII character escaped; integers of any size. Writing tokens as they
 * are decoded spares building a JSON value tree only to serialise it. Given a sink, the writer
 * hands it each full buffer and starts over, so a large text never has to be held whole.
 */
import type { JsonValue } from './python-json.js';

export class PythonJsonWriter {
  // a plain Uint8Array: element stores on it stay monomorphic where a Buffer's (a subclass) may not
  private buffer: Uint8Array;
  private length = 0;
  private depth = 0;
  /** Whether the innermost open object or array has no item yet ("{}" and "[]" stay on one line). */
  private empty = true;
  private readonly emptyStack: boolean[] = [];
  /** "\n" and the indentation of each depth, and the same after a ",". */
  private readonly lines: Uint8Array[] = [];
  private readonly commaLines: Uint8Array[] = [];
  /** nextObjectItem's pieces by depth, after an object with items and after an empty one. */
  private readonly between: Uint8Array[] = [];
  private readonly betweenEmpty: Uint8Array[] = [];
  /** Where mark() was called, or -1: the sink is not handed what follows it before rewind() may take it back. */
  private markAt = -1;
  private markDepth = 0;
  private markEmpty = true;
  private markOpen = 0;
  /** The last u64 written beyond 2^53, as words, and its digits. */
  private lastBig: [number, number, Uint8Array] = [0, 0, new Uint8Array(0)];
  /**
   * How much of the buffer is filled before the sink gets it. The first piece is small, so that
   * the first hand-over comes within the first entries, while the code still runs unoptimized:
   * met only after a full buffer, it would throw away the optimized code of every function that
   * took ensure() in, and the decode would run slowly again until they are compiled anew.
   */
  private room: number;

  /**
   * `capacity`: a guess of the text's size, which spares growing the buffer many times over; with a
   * `sink`, the size of the pieces it gets (which it must consume before it returns).
   */
  constructor(
    readonly indent?: number,
    capacity = 1 << 16,
    private readonly sink?: (bytes: Uint8Array) => void,
  ) {
    this.buffer = new Uint8Array(capacity);
    this.room = sink ? Math.min(capacity, FIRST_PIECE) : capacity;
  }

  beginObject(): void {
    this.open(0x7b);
  }

  endObject(): void {
    this.close(0x7d);
  }

  beginArray(): void {
    this.open(0x5b);
  }

  endArray(): void {
    this.close(0x5d);
  }

  /** An object key; its value follows. */
  key(name: string): void {
    this.separate();
    this.quoted(name);
    this.ascii(': ');
  }

  /**
   * Key `index` of a KeySet: the fast form of `key` for keys written again and again, copied
   * in one piece with the separator and indentation that go before it.
   */
  keyOf(keys: KeySet, index: number): void {
    if (keys.indent !== this.indent) keys.clear(this.indent);
    const slot = 2 * this.depth + (this.empty ? 0 : 1);
    this.empty = false;
    const pieces = keys.pieces[slot] ?? this.keySlot(keys, slot);
    this.raw(pieces[index] ?? this.keyPiece(pieces, keys, slot, index));
  }

  /** A value given as the bytes of its JSON text (quotedBytes makes them): for values written again and again. */
  token(bytes: Uint8Array): void {
    this.raw(bytes);
  }

  /** An array item, or an object value right after its key. */
  string(text: string): void {
    this.quoted(text);
  }

  integer(value: number | bigint): void {
    if (typeof value === 'number' && value >= 0 && value <= Number.MAX_SAFE_INTEGER && Number.isInteger(value)) this.digits(value);
    else this.number(value);
  }

  number(value: number | bigint): void {
    if (typeof value === 'bigint') this.ascii(value.toString());
    else if (Number.isFinite(value)) this.ascii(String(value));
    else this.ascii(Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity');
  }

  /** crit's hex form of an integer, "0x1f", written without building the string. */
  hex(value: number | bigint): void {
    if (typeof value === 'bigint' || value < 0 || value > Number.MAX_SAFE_INTEGER) {
      this.string('0x' + value.toString(16));
      return;
    }
    this.hexWords(Math.floor(value / 0x100000000), value | 0);
  }

  /**
   * The decimal form of the unsigned 64-bit integer made of two 32-bit words: the high one
   * unsigned, the low one's bits in either sign (see WireReader.varint64Low).
   */
  uint64Words(high: number, low: number): void {
    // below 2^32 the low word is the value: a product with 2^32 (not a small integer) would be a
    // new heap number in unoptimized code
    if (high === 0) {
      this.digits(low >>> 0);
      return;
    }
    if (high < 0x200000) {
      this.digits(high * 0x100000000 + (low >>> 0));
      return;
    }
    // beyond 2^53 a bigint is needed; the same big value (an unlimited rlimit) tends to come again
    if (high !== this.lastBig[0] || low !== this.lastBig[1]) {
      this.lastBig = [high, low, asciiBytes(((BigInt(high) << 32n) | BigInt(low >>> 0)).toString())];
    }
    this.raw(this.lastBig[2]);
  }

  /** crit's hex form of the unsigned 64-bit integer made of two 32-bit words (as uint64Words takes them). */
  hexWords(high: number, low: number): void {
    this.ensure(24);
    this.buffer[this.length++] = 0x22;
    this.buffer[this.length++] = 0x30;
    this.buffer[this.length++] = 0x78;
    if (high > 0) {
      this.hexDigits(high, 0);
      this.hexDigits(low, 8);
    } else this.hexDigits(low, 0);
    this.buffer[this.length++] = 0x22;
  }

  literal(value: boolean | null): void {
    this.ascii(value === null ? 'null' : value ? 'true' : 'false');
  }

  /**
   * Closes the object just written and opens the array's next item as an object: endObject(),
   * item() and beginObject() as one piece, for arrays of many objects.
   */
  nextObjectItem(): void {
    const cache = this.empty ? this.betweenEmpty : this.between;
    this.raw(cache[this.depth] ?? this.betweenPiece(cache));
    this.empty = true;
  }

  /** An array item (not an object value: those follow `key`). */
  item(): void {
    this.separate();
  }

  /** Any JSON value; undefined object values are left out, as JSON.stringify does. */
  value(value: JsonValue): void {
    if (value === null || typeof value === 'boolean') this.literal(value);
    else if (typeof value === 'string') this.string(value);
    else if (typeof value === 'number' || typeof value === 'bigint') this.integer(value);
    else if (Array.isArray(value)) {
      this.beginArray();
      for (const item of value) {
        this.item();
        this.value(item);
      }
      this.endArray();
    } else {
      this.beginObject();
      for (const key in value) {
        const item = value[key];
        if (item === undefined) continue;
        this.key(key);
        this.value(item);
      }
      this.endObject();
    }
  }

  /** The text so far (ASCII only, so latin1 is exact and fastest). */
  text(): string {
    return this.bytes().toString('latin1');
  }

  /** The bytes so far, a view of the writer's buffer. */
  bytes(): Buffer {
    return Buffer.from(this.buffer.buffer, 0, this.length);
  }

  /** Remembers this point, to come back to it with rewind() (the last mark counts). */
  mark(): void {
    this.markAt = this.length;
    this.markDepth = this.depth;
    this.markEmpty = this.empty;
    this.markOpen = this.emptyStack.length;
  }

  /** How much was written since mark(). */
  sinceMark(): number {
    return this.length - this.markAt;
  }

  /** Writes again what is between offsets `from` and `to` since mark() (see sinceMark). */
  copyMarked(from: number, to: number): void {
    this.ensure(to - from);
    this.buffer.copyWithin(this.length, this.markAt + from, this.markAt + to);
    this.length += to - from;
  }

  /** Takes back everything written since mark(). */
  rewind(): void {
    this.length = this.markAt;
    this.depth = this.markDepth;
    this.empty = this.markEmpty;
    this.emptyStack.length = this.markOpen;
  }

  /** Hands what the sink has not had yet to it; a mark is forgotten. */
  flush(): void {
    this.markAt = -1;
    this.spill();
  }

  /** Hands the sink everything before the mark, or everything if there is none, and keeps the rest. */
  private spill(): void {
    const handed = this.markAt >= 0 ? this.markAt : this.length;
    if (handed === 0) return;
    this.sink!(this.buffer.subarray(0, handed));
    this.buffer.copyWithin(0, handed, this.length);
    this.length -= handed;
    if (this.markAt >= 0) this.markAt = 0;
  }

  private open(bracket: number): void {
    this.ensure(1);
    this.buffer[this.length++] = bracket;
    this.emptyStack.push(this.empty);
    this.empty = true;
    this.depth++;
  }

  private close(bracket: number): void {
    this.depth--;
    if (!this.empty && this.indent !== undefined) this.newline();
    this.empty = this.emptyStack.pop()!;
    this.ensure(1);
    this.buffer[this.length++] = bracket;
  }

  /** What goes before an item: a comma after the first, then a new indented line when indenting. */
  private separate(): void {
    const first = this.empty;
    this.empty = false;
    if (this.indent === undefined) {
      if (!first) this.ascii(', ');
    } else this.raw(first ? this.line(this.lines, '\n') : this.line(this.commaLines, ',\n'));
  }

  /** nextObjectItem's piece at this depth. */
  private betweenPiece(cache: Uint8Array[]): Uint8Array {
    const outer = this.indent === undefined ? undefined : ' '.repeat((this.depth - 1) * this.indent);
    const close = outer === undefined || cache === this.betweenEmpty ? '}' : `\n${outer}}`;
    return (cache[this.depth] = asciiBytes(outer === undefined ? `${close}, {` : `${close},\n${outer}{`));
  }

  private newline(): void {
    this.raw(this.line(this.lines, '\n'));
  }

  /**
   * The pieces of a KeySet's keys as they are written at this depth, first in their object or
   * after a comma (slot's low bit), each made when first written: a message type has fields an
   * image seldom holds, and its field numbers leave holes.
   */
  private keySlot(keys: KeySet, slot: number): (Uint8Array | undefined)[] {
    // filled with undefined, not holey: loads from the array stay fast
    const pieces = keys.names.map(() => undefined);
    while (keys.pieces.length < slot) keys.pieces.push(undefined);
    keys.pieces[slot] = pieces;
    return pieces;
  }

  private keyPiece(pieces: (Uint8Array | undefined)[], keys: KeySet, slot: number, index: number): Uint8Array {
    const first = slot % 2 === 0;
    const before = this.indent === undefined ? (first ? '' : ', ') : (first ? '\n' : ',\n') + ' '.repeat(this.depth * this.indent);
    return (pieces[index] = asciiBytes(before + pythonJsonString(keys.names[index]!) + ': '));
  }

  private line(cache: Uint8Array[], start: string): Uint8Array {
    return (cache[this.depth] ??= asciiBytes(start + ' '.repeat(this.depth * this.indent!)));
  }

  private raw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(n);
    this.buffer.set(bytes, this.length);
    this.length += n;
  }

  private quoted(text: string): void {
    const n = text.length;
    this.ensure(n + 2);
    const buffer = this.buffer;
    let at = this.length;
    buffer[at++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        this.escaped(text);
        return;
      }
      buffer[at++] = c;
    }
    buffer[at++] = 0x22;
    this.length = at;
  }

  private escaped(text: string): void {
    this.ascii(pythonJsonString(text));
  }

  private ascii(text: string): void {
    const n = text.length;
    this.ensure(n);
    if (n > 32) {
      this.length += Buffer.from(this.buffer.buffer).write(text, this.length, 'latin1');
      return;
    }
    const buffer = this.buffer;
    let at = this.length;
    for (let i = 0; i < n; i++) buffer[at++] = text.charCodeAt(i);
    this.length = at;
  }

  /** Decimal digits of a non-negative safe integer, without a string in between. */
  private digits(value: number): void {
    let count = 1;
    for (let limit = 10; value >= limit; limit *= 10) count++;
    this.ensure(count);
    const buffer = this.buffer;
    // written from the last digit back, into the room counted for them
    let at = this.length + count;
    this.length = at;
    while (value >= 0x80000000) {
      const rest = Math.floor(value / 10);
      buffer[--at] = 0x30 + (value - rest * 10);
      value = rest;
    }
    do {
      buffer[--at] = 0x30 + (value % 10);
      value = (value / 10) | 0;
    } while (value > 0);
  }

  /** Lower-case hex digits of a 32-bit word (its bits in either sign), at least `width` of them. */
  private hexDigits(value: number, width: number): void {
    let count = 1;
    while (count < 8 && value >>> (4 * count) !== 0) count++;
    if (count < width) count = width;
    const buffer = this.buffer;
    for (let i = count - 1; i >= 0; i--) buffer[this.length++] = HEX[(value >>> (4 * i)) & 0xf];
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.room) return;
    if (this.sink) {
      this.spill();
      this.room = this.buffer.length;
      if (this.length + extra <= this.room) return;
    }
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + extra));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
    this.room = grown.length;
  }
}

/** The keys of one kind of object, for PythonJsonWriter.keyOf; an undefined name is never written. */
export class KeySet {
  /** Per depth and place (see keyOf), each key's bytes with what goes before it, made on first use. */
  readonly pieces: ((Uint8Array | undefined)[] | undefined)[] = [];
  /** The indentation the pieces are made for. */
  indent: number | undefined;

  constructor(readonly names: ReadonlyArray<string | undefined>) {}

  clear(indent: number | undefined): void {
    this.pieces.length = 0;
    this.indent = indent;
  }
}

/** The size of the sink's first piece (see room). */
const FIRST_PIECE = 4096;

const HEX = new Uint8Array([...'0123456789abcdef'].map((c) => c.charCodeAt(0)));

/** A string as Python's json writes it with ensure_ascii: quoted, short escapes where JSON has them, else \\uXXXX per UTF-16 unit. */
function pythonJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) out += text[i];
    else out += SHORT_ESCAPES[c] ?? '\\u' + c.toString(16).padStart(4, '0');
  }
  return out + '"';
}

/** A string's JSON text as the writer writes it, for PythonJsonWriter.token. */
export function quotedBytes(text: string): Uint8Array {
  return asciiBytes(pythonJsonString(text));
}

/** The bytes of a text of ASCII characters, as a plain Uint8Array like every piece the writer copies. */
function asciiBytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x08: '\\b',
  0x0c: '\\f',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
};
