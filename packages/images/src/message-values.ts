/**
 * Messages as this package hands them out: plain objects keyed by CRIU's field names, holding
 * only the fields present on the wire (an empty repeated field counts as absent, as in crit).
 * 64-bit integers are `bigint`, smaller ones and enums are `number`, bytes are `Uint8Array`.
 */
import protobuf from 'protobufjs';

export type MessageValue = { [field: string]: FieldValue };
export type ScalarValue = number | bigint | boolean | string | Uint8Array;
export type FieldValue = ScalarValue | MessageValue | ScalarValue[] | MessageValue[];

const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const UNSIGNED_LONG_TYPES = new Set(['uint64', 'fixed64']);

interface LongLike {
  low: number;
  high: number;
}

function longToBigint(value: LongLike | number, unsigned: boolean): bigint {
  if (typeof value === 'number') return BigInt(value);
  const bits = (BigInt(value.high >>> 0) << 32n) | BigInt(value.low >>> 0);
  return unsigned ? bits : BigInt.asIntN(64, bits);
}

/** A decoded protobufjs message as a plain value (see the module comment). */
export function toMessageValue(type: protobuf.Type, wire: protobuf.Message | Record<string, unknown>): MessageValue {
  const out: MessageValue = {};
  const source = wire as Record<string, unknown>;
  for (const field of fieldsInWireOrder(type)) {
    if (!Object.prototype.hasOwnProperty.call(source, field.name)) continue;
    const value = source[field.name];
    if (value === null || value === undefined) continue;
    if (field.repeated) {
      const list = value as unknown[];
      if (list.length === 0) continue;
      out[field.name] = list.map((item) => scalarOrMessageToValue(field, item)) as ScalarValue[] | MessageValue[];
    } else {
      out[field.name] = scalarOrMessageToValue(field, value);
    }
  }
  return out;
}

function scalarOrMessageToValue(field: protobuf.Field, value: unknown): ScalarValue | MessageValue {
  if (field.resolvedType instanceof protobuf.Type) return toMessageValue(field.resolvedType, value as protobuf.Message);
  if (LONG_TYPES.has(field.type)) return longToBigint(value as LongLike, UNSIGNED_LONG_TYPES.has(field.type));
  // protobufjs hands out Node Buffers; a plain view keeps values comparable and portable
  if (value instanceof Uint8Array && value.constructor !== Uint8Array) return new Uint8Array(value.buffer, value.byteOffset, value.length);
  return value as ScalarValue;
}

const ORDERED_FIELDS = new WeakMap<protobuf.Type, protobuf.Field[]>();

/** A message's fields by field number: the order both protobuf-c and crit write them in. */
export function fieldsInWireOrder(type: protobuf.Type): protobuf.Field[] {
  let fields = ORDERED_FIELDS.get(type);
  if (!fields) {
    fields = [...type.fieldsArray].sort((a, b) => a.id - b.id);
    ORDERED_FIELDS.set(type, fields);
  }
  return fields;
}

/** True for protobuf's 64-bit integer types, which this package represents as bigint. */
export function isLongType(type: string): boolean {
  return LONG_TYPES.has(type);
}
