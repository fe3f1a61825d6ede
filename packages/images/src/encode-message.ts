/**
 * Writes a message value (see message-values.ts) as protobuf wire bytes, driven by the same plans
 * as the decoder: fields in field-number order, repeated scalars unpacked unless the schema packs
 * them — the bytes protobuf-c writes, so an image read and written again is the same file.
 */
import type { FieldPlan, MessagePlan } from './message-plan.js';
import type { MessageValue } from './message-values.js';

/** A message that lacks a required field or holds a value its field cannot take. */
export class EncodeFault extends Error {}

/** The message's wire bytes. */
export function encodeMessage(plan: MessagePlan, value: MessageValue): Uint8Array {
  const out = new ByteWriter();
  writeMessage(out, plan, value);
  return out.finish();
}

function writeMessage(out: ByteWriter, plan: MessagePlan, value: MessageValue): void {
  for (const field of plan.fields) {
    const item = value[field.name];
    if (item === undefined || item === null) {
      if (field.required) throw new EncodeFault(`${plan.name}: missing required '${field.name}'`);
      continue;
    }
    if (!field.repeated) {
      writeField(out, field, item);
      continue;
    }
    if (!Array.isArray(item)) throw new EncodeFault(`${plan.name}.${field.name}: expected a list`);
    if (field.packed) {
      if (item.length === 0) continue;
      const packed = new ByteWriter();
      for (const element of item) writeScalar(packed, field, element);
      out.tag(field.number, 2);
      out.lengthDelimited(packed.finish());
    } else {
      for (const element of item) writeField(out, field, element);
    }
  }
}

function writeField(out: ByteWriter, field: FieldPlan, value: unknown): void {
  out.tag(field.number, field.wireType);
  if (field.type === 'message') {
    const nested = new ByteWriter();
    writeMessage(nested, field.message!, value as MessageValue);
    out.lengthDelimited(nested.finish());
  } else if (field.type === 'string') {
    out.lengthDelimited(Buffer.from(String(value), 'utf8'));
  } else if (field.type === 'bytes') {
    out.lengthDelimited(value as Uint8Array);
  } else {
    writeScalar(out, field, value);
  }
}

function writeScalar(out: ByteWriter, field: FieldPlan, value: unknown): void {
  switch (field.type) {
    case 'bool':
      return out.varint(value ? 1n : 0n);
    case 'uint32':
      return out.varint(BigInt(Number(value) >>> 0));
    case 'int32':
    case 'enum':
      // negative int32 values are sign-extended to ten bytes, as protobuf does
      return out.varint(BigInt.asUintN(64, BigInt(Number(value) | 0)));
    case 'sint32': {
      const n = Number(value) | 0;
      return out.varint(BigInt(((n << 1) ^ (n >> 31)) >>> 0));
    }
    case 'int64':
    case 'uint64':
      return out.varint(BigInt.asUintN(64, BigInt(value as bigint)));
    case 'sint64': {
      const n = BigInt.asIntN(64, BigInt(value as bigint));
      return out.varint(BigInt.asUintN(64, (n << 1n) ^ (n >> 63n)));
    }
    case 'fixed32':
    case 'sfixed32':
      return out.fixed32(Number(value));
    case 'fixed64':
    case 'sfixed64':
      return out.fixed64(BigInt.asUintN(64, BigInt(value as bigint)));
    case 'float':
      return out.float(Number(value), 4);
    case 'double':
      return out.float(Number(value), 8);
    default:
      throw new EncodeFault(`field ${field.name}: cannot write a ${field.type} as a scalar`);
  }
}

/** A growing byte buffer with protobuf's primitive encodings. */
class ByteWriter {
  private buffer = new Uint8Array(64);
  private length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buffer.length) return;
    const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + n));
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  tag(number: number, wireType: number): void {
    this.varint(BigInt(number * 8 + wireType));
  }

  varint(value: bigint): void {
    this.room(10);
    // small values, the common case, stay in plain numbers
    if (value < 0x8000_0000n) {
      let n = Number(value);
      while (n > 0x7f) {
        this.buffer[this.length++] = (n & 0x7f) | 0x80;
        n >>>= 7;
      }
      this.buffer[this.length++] = n;
      return;
    }
    let v = value;
    while (v > 0x7fn) {
      this.buffer[this.length++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buffer[this.length++] = Number(v);
  }

  fixed32(value: number): void {
    this.room(4);
    new DataView(this.buffer.buffer, this.buffer.byteOffset).setUint32(this.length, value >>> 0, true);
    this.length += 4;
  }

  fixed64(value: bigint): void {
    this.room(8);
    new DataView(this.buffer.buffer, this.buffer.byteOffset).setBigUint64(this.length, value, true);
    this.length += 8;
  }

  float(value: number, size: 4 | 8): void {
    this.room(size);
    const view = new DataView(this.buffer.buffer, this.buffer.byteOffset);
    if (size === 4) view.setFloat32(this.length, value, true);
    else view.setFloat64(this.length, value, true);
    this.length += size;
  }

  lengthDelimited(bytes: Uint8Array): void {
    this.varint(BigInt(bytes.length));
    this.room(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  finish(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}
