/**
 * One protobuf message read straight off the wire into a plain MessageValue (message-values.ts),
 * by its plan: no protobufjs Message, no Long, no copy. A bad message throws WireFault with the
 * offset where reading stopped.
 */
import type { FieldPlan, MessagePlan } from './message-plan.js';
import type { MessageValue } from './message-values.js';

/**
 * How 64-bit integers come out: "bigint" always (the library's values), or "safe-number": a
 * number while it is exact (below 2^53), a bigint only beyond, which spares crit JSON output a
 * BigInt per field.
 */
export type LongForm = 'bigint' | 'safe-number';

export class WireFault extends Error {
  constructor(
    detail: string,
    readonly offset: number,
  ) {
    super(detail);
  }
}

/** Decodes the message of `plan` held in bytes[start, end). */
export function decodeMessage(plan: MessagePlan, bytes: Uint8Array, start: number, end: number, longs: LongForm = 'bigint'): MessageValue {
  const reader = new WireReader(bytes, start, end, longs === 'bigint');
  return readFields(reader, plan, end);
}

function readFields(r: WireReader, plan: MessagePlan, end: number): MessageValue {
  const start = r.pos;
  const out: MessageValue = {};
  const byNumber = plan.byNumber;
  while (r.pos < end) {
    const tagAt = r.pos;
    const tag = r.uint32();
    const number = tag >>> 3;
    const wireType = tag & 7;
    const field = number < byNumber.length ? byNumber[number] : undefined;
    if (field === undefined) {
      if (number === 0) throw new WireFault('field number 0', tagAt);
      r.skip(wireType, tagAt);
      continue;
    }
    if (field.repeated) {
      let list = out[field.name] as unknown[] | undefined;
      if (wireType === 2 && field.packable) {
        const stop = r.lengthEnd();
        if (r.pos < stop && list === undefined) out[field.name] = list = [];
        while (r.pos < stop) list!.push(readValue(r, field));
        if (r.pos !== stop) throw new WireFault(`packed ${field.name} overruns its length`, r.pos);
        continue;
      }
      if (wireType !== field.wireType) throw wrongWireType(field, wireType, tagAt);
      if (list === undefined) out[field.name] = list = [];
      list.push(readValue(r, field));
    } else {
      if (wireType !== field.wireType) throw wrongWireType(field, wireType, tagAt);
      out[field.name] = readValue(r, field);
    }
  }
  // a varint may run past a nested message's end; its bytes were still inside the entry
  if (r.pos !== end) throw new WireFault(`a field overruns the end of ${plan.name}`, end);
  const required = plan.required;
  for (let i = 0; i < required.length; i++) {
    if (out[required[i].name] === undefined) throw new WireFault(`missing required '${required[i].name}' in ${plan.name}`, start);
  }
  return out;
}

function wrongWireType(field: FieldPlan, wireType: number, at: number): WireFault {
  return new WireFault(`field ${field.name} has wire type ${wireType}, its type ${field.type} needs ${field.wireType}`, at);
}

/** One value of a field at the reader's position (a message's as a MessageValue). */
export function readValue(r: WireReader, field: FieldPlan): MessageValue[string] {
  switch (field.type) {
    case 'uint32':
      return r.uint32();
    case 'int32':
    case 'enum':
      return r.uint32() | 0;
    case 'sint32': {
      const n = r.uint32();
      return (n >>> 1) ^ -(n & 1);
    }
    case 'bool':
      return r.uint32() !== 0;
    case 'uint64':
      return r.long(r.varint64());
    case 'int64': {
      const n = r.varint64();
      return r.long(typeof n === 'bigint' ? BigInt.asIntN(64, n) : n);
    }
    case 'sint64': {
      const n = r.varint64();
      if (typeof n === 'bigint') return r.long((n >> 1n) ^ -(n & 1n));
      return r.long(n % 2 === 0 ? n / 2 : -(n + 1) / 2);
    }
    case 'fixed32':
      return r.fixed32();
    case 'sfixed32':
      return r.fixed32() | 0;
    case 'fixed64':
    case 'sfixed64': {
      const low = r.fixed32();
      const high = r.fixed32();
      const bits = (BigInt(high) << 32n) | BigInt(low);
      return r.long(exact(field.type === 'fixed64' ? bits : BigInt.asIntN(64, bits)));
    }
    case 'float':
      return r.float32();
    case 'double':
      return r.float64();
    case 'string':
      return r.string();
    case 'bytes':
      return r.bytesView();
    case 'message':
      return readFields(r, field.message!, r.lengthEnd());
  }
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);

/** A number where the value is exact as one. */
function exact(value: bigint): number | bigint {
  return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value;
}

const UTF8 = new TextDecoder();

/** A read position inside one entry; every read checks it stays before `end`. */
export class WireReader {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    /** The entry's end: nested messages are checked against their own length separately. */
    public end: number,
    readonly bigintLongs: boolean,
  ) {}

  private outOfRange(what: string): never {
    throw new WireFault(`${what} runs past the end of the entry`, this.pos);
  }

  /** A varint's low 32 bits, unsigned (an int32 may take 10 bytes; the rest is sign). */
  uint32(): number {
    const bytes = this.bytes;
    let pos = this.pos;
    if (pos >= this.end) this.outOfRange('a varint');
    let byte = bytes[pos++];
    let value = byte & 0x7f;
    if (byte < 0x80) {
      this.pos = pos;
      return value;
    }
    // every test of the loop runs for a 2-byte varint already: a longer one met later does not
    // find a test without type feedback, which would throw the optimized code away
    for (let shift = 7; byte >= 0x80; shift += 7) {
      if (shift > 63) {
        this.pos = pos;
        throw new WireFault('a varint longer than 10 bytes', pos);
      }
      if (pos >= this.end) {
        this.pos = pos;
        this.outOfRange('a varint');
      }
      byte = bytes[pos++];
      if (shift < 32) value |= (byte & 0x7f) << shift;
    }
    this.pos = pos;
    return value >>> 0;
  }

  /** A varint's full unsigned 64 bits: a number below 2^49 (always exact), else a bigint. */
  varint64(): number | bigint {
    const bytes = this.bytes;
    const start = this.pos;
    let pos = start;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (pos >= this.end) this.outOfRange('a varint');
      const byte = bytes[pos++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        this.pos = pos;
        return value;
      }
      scale *= 128;
    }
    return this.bigVarint(start);
  }

  /**
   * A varint's full unsigned 64 bits as two 32-bit words, without a bigint: returns the low word's
   * bits as a signed int32 (`>>> 0` makes it the unsigned word) and leaves the high word in
   * `high`. A low word at or past 2^31 is no small integer to V8: returned unsigned, the first one
   * would throw away the optimized code that took this in.
   */
  varint64Low(): number {
    const bytes = this.bytes;
    const end = this.end;
    let pos = this.pos;
    let low = 0;
    let high = 0;
    let byte = 0x80;
    for (let shift = 0; shift < 28 && byte >= 0x80; shift += 7) {
      if (pos >= end) this.outOfRange('a varint');
      byte = bytes[pos++];
      low |= (byte & 0x7f) << shift;
    }
    if (byte >= 0x80) {
      if (pos >= end) this.outOfRange('a varint');
      // the fifth byte: four bits for the low word, three for the high one
      byte = bytes[pos++];
      low |= (byte & 0x0f) << 28;
      high = (byte & 0x7f) >> 4;
      for (let shift = 3; byte >= 0x80; shift += 7) {
        if (shift > 31) throw new WireFault('a varint longer than 10 bytes', pos);
        if (pos >= end) this.outOfRange('a varint');
        byte = bytes[pos++];
        high |= (byte & 0x7f) << shift;
      }
    }
    this.pos = pos;
    this.high = high >>> 0;
    return low;
  }

  /** The high word of the last varint64Low. */
  high = 0;

  /** Rare: varints of 8 bytes and more (negative int64s take 10). */
  private bigVarint(start: number): bigint {
    let pos = start;
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (pos >= this.end) {
        this.pos = pos;
        this.outOfRange('a varint');
      }
      const byte = this.bytes[pos++];
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) break;
      if (shift === 63n) throw new WireFault('a varint longer than 10 bytes', pos);
    }
    this.pos = pos;
    return BigInt.asUintN(64, value);
  }

  /** A 64-bit integer in the form asked for (see LongForm). */
  long(value: number | bigint): number | bigint {
    if (this.bigintLongs) return typeof value === 'bigint' ? value : BigInt(value);
    return typeof value === 'bigint' ? exact(value) : value;
  }

  fixed32(): number {
    const pos = this.pos;
    if (pos + 4 > this.end) this.outOfRange('a fixed32');
    const b = this.bytes;
    this.pos = pos + 4;
    return (b[pos] | (b[pos + 1] << 8) | (b[pos + 2] << 16) | (b[pos + 3] << 24)) >>> 0;
  }

  float32(): number {
    return this.view(4).getFloat32(0, true);
  }

  float64(): number {
    return this.view(8).getFloat64(0, true);
  }

  private view(length: number): DataView {
    if (this.pos + length > this.end) this.outOfRange(`a ${length}-byte number`);
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, length);
    this.pos += length;
    return view;
  }

  /** Reads a length and returns where the value it announces ends. */
  lengthEnd(): number {
    const at = this.pos;
    const length = this.uint32();
    const stop = this.pos + length;
    if (stop > this.end) throw new WireFault(`a length of ${length} runs past the end of the entry`, at);
    return stop;
  }

  string(): string {
    const stop = this.lengthEnd();
    const bytes = this.bytes;
    let text = '';
    // short ASCII strings (comm, names) are cheaper to build than to hand to the decoder
    if (stop - this.pos <= 32) {
      for (let i = this.pos; i < stop; i++) {
        const c = bytes[i];
        if (c >= 0x80) {
          text = UTF8.decode(bytes.subarray(this.pos, stop));
          break;
        }
        text += String.fromCharCode(c);
      }
    } else text = UTF8.decode(bytes.subarray(this.pos, stop));
    this.pos = stop;
    return text;
  }

  /** The bytes in place, as a plain Uint8Array view (a Node Buffer would compare unequal to one). */
  bytesView(): Uint8Array {
    const stop = this.lengthEnd();
    const view = new Uint8Array(this.bytes.buffer, this.bytes.byteOffset + this.pos, stop - this.pos);
    this.pos = stop;
    return view;
  }

  /** Skips a field the schema does not know. */
  skip(wireType: number, tagAt: number): void {
    switch (wireType) {
      case 0:
        this.varint64();
        return;
      case 1:
        this.advance(8);
        return;
      case 2:
        this.pos = this.lengthEnd();
        return;
      case 5:
        this.advance(4);
        return;
      case 3:
        // a proto2 group: fields up to its end-group tag
        for (;;) {
          const at = this.pos;
          const tag = this.uint32();
          if ((tag & 7) === 4) return;
          this.skip(tag & 7, at);
        }
      default:
        throw new WireFault(`invalid wire type ${wireType}`, tagAt);
    }
  }

  private advance(length: number): void {
    if (this.pos + length > this.end) this.outOfRange(`a ${length}-byte value`);
    this.pos += length;
  }
}
