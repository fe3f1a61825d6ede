/** An image as crit's `decode` shows it: `{ magic, entries }` with crit's value formatting. */
import type protobuf from 'protobufjs';
import type { IpcQueuedMessage, Payload } from '../payload.js';
import type { Image } from '../read-entries.js';
import type { FieldValue, MessageValue, ScalarValue } from '../message-values.js';
import { type FieldPlan, type MessagePlan, messagePlan } from '../message-plan.js';
import { flagsToText } from './crit-hints.js';
import type { JsonObject, JsonValue } from './python-json.js';
import { base64Lines, quotedPrintable } from './text-encodings.js';
import { formatDev, formatIpAddress } from './addresses.js';

export interface CritJsonOptions {
  /** crit's `--pretty`: hex, flag names, devices and addresses in their readable form. */
  pretty?: boolean;
  /** crit's `show --nopl`: payloads replaced by their size. */
  noPayload?: boolean;
}

/** The JSON value crit's `decode` prints for an image. */
export function imageToCritJson(image: Image, options: CritJsonOptions = {}): JsonObject {
  const pretty = options.pretty ?? false;
  const entries = image.entries.map((entry) => {
    const json = critMessage(messagePlan(entry.type), entry.message, pretty, false);
    if (entry.payload !== undefined) json.extra = payloadToCritJson(entry.payload, options.noPayload ?? false);
    return json;
  });
  return { magic: image.magic, entries };
}

/** One message as crit shows it (crit's pb2dict). */
export function messageToCritJson(type: protobuf.Type, message: MessageValue, pretty: boolean, hexInherited = false): JsonObject {
  return critMessage(messagePlan(type.fullName.replace(/^\./, '')), message, pretty, hexInherited);
}

function critMessage(plan: MessagePlan, message: MessageValue, pretty: boolean, hexInherited: boolean): JsonObject {
  const out: JsonObject = {};
  for (const field of plan.fields) {
    const value = message[field.name];
    if (value === undefined) continue;
    const hex = hexInherited || field.hex;
    if (field.repeated) {
      const list = value as ScalarValue[] | MessageValue[];
      out[field.name] = pretty && field.ipadd ? [formatIpAddress(list as number[])] : list.map((item) => critField(field, item, pretty, hex));
    } else {
      out[field.name] = critField(field, value, pretty, hex);
    }
  }
  return out;
}

function critField(field: FieldPlan, value: FieldValue, pretty: boolean, hex: boolean): JsonValue {
  if (field.type === 'message') return critMessage(field.message!, value as MessageValue, pretty, hex);
  return critScalar(field, value as ScalarValue, pretty, hex);
}

/**
 * How crit shows one value of a field that is not a message; `hex` is the field's hint or one
 * inherited from a message marked so.
 */
export function critScalar(field: FieldPlan, value: ScalarValue, pretty: boolean, hex: boolean): JsonValue {
  switch (field.type) {
    case 'bytes':
      return field.conv === 'unix_name' ? quotedPrintable(value as Uint8Array) : base64Lines(value as Uint8Array);
    case 'enum':
      return field.enumNames!.get(value as number) ?? (value as number);
    case 'bool':
    case 'string':
    case 'float':
    case 'double':
      return value as JsonValue;
    default:
      return pretty ? prettyInteger(field, value as number | bigint, hex) : jsonInteger(value as number | bigint);
  }
}

function prettyInteger(field: FieldPlan, value: number | bigint, hex: boolean): JsonValue {
  if (hex) return '0x' + value.toString(16);
  if (field.dev) return formatDev(BigInt(value), field.odev);
  if (field.flags) return field.flagTable ? flagsToText(value, field.flagTable) : '0x' + value.toString(16);
  if (field.dict) return field.dictNames?.get(Number(value)) ?? jsonInteger(value);
  return jsonInteger(value);
}

/** A number where it is exact, so most documents need no bigint handling when written. */
function jsonInteger(value: number | bigint): number | bigint {
  if (typeof value === 'bigint' && value >= MIN_SAFE && value <= MAX_SAFE) return Number(value);
  return value;
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** crit's "extra" of an entry: its payload as base64, values or messages, or just its size. */
export function payloadToCritJson(payload: Payload, noPayload: boolean): JsonValue {
  if (noPayload) return `... <${humanSize(payloadSize(payload))}>`;
  if (payload instanceof Uint8Array) return base64Lines(payload);
  if (Array.isArray(payload)) {
    if (payload.length > 0 && typeof payload[0] === 'object') {
      return (payload as IpcQueuedMessage[]).flatMap(({ header, data }) => [
        critMessage(messagePlan('ipc_msg'), header, false, false),
        base64Lines(data),
      ]);
    }
    return payload as number[];
  }
  return { inq: base64Lines(payload.inq), outq: base64Lines(payload.outq) };
}

function payloadSize(payload: Payload): number {
  if (payload instanceof Uint8Array) return payload.length;
  if (Array.isArray(payload)) {
    if (payload.length > 0 && typeof payload[0] === 'object') {
      return (payload as IpcQueuedMessage[]).reduce((sum, m) => sum + m.data.length, 0);
    }
    return 2 * payload.length;
  }
  return payload.inq.length + payload.outq.length;
}

/** crit's size text for `show --nopl`: "512B", "1.5KB". */
function humanSize(size: number): string {
  let value = size;
  for (const unit of ['', 'K', 'M', 'G', 'T', 'P', 'E', 'Z']) {
    if (value < 1024) return Number.isInteger(value) ? `${value}${unit}B` : `${value.toFixed(1)}${unit}B`;
    value /= 1024;
  }
  return `${value.toFixed(1)}YB`;
}
