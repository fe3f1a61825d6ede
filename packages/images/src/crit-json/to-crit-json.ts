/** An image as crit's `decode` shows it: `{ magic, entries }` with crit's value formatting. */
import type protobuf from 'protobufjs';
import type { IpcQueuedMessage, Payload } from '../payload.js';
import type { Image } from '../read-image.js';
import type { FieldValue, MessageValue, ScalarValue } from '../message-values.js';
import { messageType } from '../schema/index.js';
import { FLAG_TABLES, flagsToText, VALUE_TABLES } from './crit-hints.js';
import { type FieldFormat, fieldFormats } from './field-format.js';
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
    const json = messageToCritJson(messageType(entry.type), entry.message, pretty);
    if (entry.payload !== undefined) json.extra = payloadToCritJson(entry.payload, options.noPayload ?? false);
    return json;
  });
  return { magic: image.magic, entries };
}

/** One message as crit shows it (crit's pb2dict). */
export function messageToCritJson(type: protobuf.Type, message: MessageValue, pretty: boolean, hexInherited = false): JsonObject {
  const out: JsonObject = {};
  for (const format of fieldFormats(type)) {
    const value = message[format.name];
    if (value === undefined) continue;
    const hex = hexInherited || format.hex;
    if (format.repeated) {
      const list = value as ScalarValue[] | MessageValue[];
      out[format.name] =
        pretty && format.ipadd
          ? [formatIpAddress(list as number[])]
          : list.map((item) => fieldToCritJson(format, item, pretty, hex));
    } else {
      out[format.name] = fieldToCritJson(format, value, pretty, hex);
    }
  }
  return out;
}

function fieldToCritJson(format: FieldFormat, value: FieldValue, pretty: boolean, hex: boolean): JsonValue {
  switch (format.kind) {
    case 'message':
      return messageToCritJson(format.message!, value as MessageValue, pretty, hex);
    case 'bytes':
      return format.conv === 'unix_name' ? quotedPrintable(value as Uint8Array) : base64Lines(value as Uint8Array);
    case 'enum':
      return format.enumType!.valuesById[value as number] ?? (value as number);
    case 'bool':
    case 'string':
    case 'float':
      return value as JsonValue;
    default:
      return pretty ? prettyInteger(format, value as number | bigint, hex) : jsonInteger(value as number | bigint);
  }
}

function prettyInteger(format: FieldFormat, value: number | bigint, hex: boolean): JsonValue {
  if (hex) return '0x' + value.toString(16);
  if (format.dev) return formatDev(BigInt(value), format.odev);
  if (format.flags) {
    const table = FLAG_TABLES[format.flags];
    return table ? flagsToText(value, table) : '0x' + value.toString(16);
  }
  if (format.dict) return VALUE_TABLES[format.dict]?.[format.name]?.get(Number(value)) ?? jsonInteger(value);
  return jsonInteger(value);
}

/** A number where it is exact, so most documents need no bigint handling when written. */
function jsonInteger(value: number | bigint): number | bigint {
  if (typeof value === 'bigint' && value >= MIN_SAFE && value <= MAX_SAFE) return Number(value);
  return value;
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function payloadToCritJson(payload: Payload, noPayload: boolean): JsonValue {
  if (noPayload) return `... <${humanSize(payloadSize(payload))}>`;
  if (payload instanceof Uint8Array) return base64Lines(payload);
  if (Array.isArray(payload)) {
    if (payload.length > 0 && typeof payload[0] === 'object') {
      return (payload as IpcQueuedMessage[]).flatMap(({ header, data }) => [
        messageToCritJson(messageType('ipc_msg'), header, false),
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
