/** crit's JSON of an image back to an image, as crit's `encode` reads it (crit's dict2pb). */
import type protobuf from 'protobufjs';
import { imageError, ImageFault } from '../image-error.js';
import { IMAGE_KINDS } from '../image-kinds.js';
import type { FieldValue, MessageValue, ScalarValue } from '../message-values.js';
import type { IpcQueuedMessage, Payload } from '../payload.js';
import { type FieldPlan, type MessagePlan, messagePlan } from '../message-plan.js';
import type { Image, ImageEntry } from '../read-entries.js';
import { parseDev, parseIpAddress } from './addresses.js';
import { parsePythonInt, textToFlags } from './crit-hints.js';
import type { JsonObject, JsonValue } from './python-json.js';
import { fromBase64Lines, fromQuotedPrintable } from './text-encodings.js';

/** The image a crit JSON document describes; throws ImageFault naming the entry at fault. */
export function imageFromCritJson(json: JsonValue, file = '<json>'): Image {
  const fail = (entry: number, detail: string): never => {
    throw new ImageFault(imageError('json', file, entry, 0, detail));
  };
  if (!isObject(json) || typeof json.magic !== 'string' || !Array.isArray(json.entries)) {
    return fail(-1, 'expected an object with "magic" and "entries"');
  }
  const magic = json.magic;
  const kind = IMAGE_KINDS[magic];
  if (!kind) return fail(-1, `unknown image magic ${JSON.stringify(magic)}`);
  const entries: ImageEntry[] = json.entries.map((item, index) => {
    if (!isObject(item)) return fail(index, 'an entry is not an object');
    const typeName = index === 0 && kind.headMessage ? kind.headMessage : kind.message;
    try {
      const message = messageFromPlan(messagePlan(typeName), item);
      const extra = item.extra;
      if (extra === undefined) return { message, type: typeName };
      return { message, type: typeName, payload: payloadFromCritJson(extra, kind.payload) };
    } catch (error) {
      if (error instanceof ImageFault) throw error;
      return fail(index, (error as Error).message);
    }
  });
  return { magic, entries };
}

/** One message from its crit JSON; unknown keys (such as "extra") are ignored, as crit does. */
export function messageFromCritJson(type: protobuf.Type, json: JsonObject): MessageValue {
  return messageFromPlan(messagePlan(type.fullName.replace(/^\./, '')), json);
}

function messageFromPlan(type: MessagePlan, json: JsonObject): MessageValue {
  const out: MessageValue = {};
  for (const format of type.fields) {
    const value = json[format.name];
    if (value === undefined) continue;
    if (format.repeated) {
      if (!Array.isArray(value)) throw new Error(`${type.name}.${format.name}: expected a list`);
      if (format.ipadd && value.length > 0 && typeof value[0] === 'string') {
        out[format.name] = parseIpAddress(value[0]);
      } else {
        out[format.name] = value.map((item) => fieldFromCritJson(type, format, item)) as ScalarValue[] | MessageValue[];
      }
    } else {
      out[format.name] = fieldFromCritJson(type, format, value);
    }
  }
  return out;
}

function fieldFromCritJson(type: MessagePlan, format: FieldPlan, value: JsonValue): FieldValue {
  const where = `${type.name}.${format.name}`;
  switch (format.type) {
    case 'message':
      if (!isObject(value)) throw new Error(`${where}: expected an object`);
      return messageFromPlan(format.message!, value);
    case 'bytes':
      if (typeof value !== 'string') throw new Error(`${where}: expected a string`);
      return format.conv === 'unix_name' ? fromQuotedPrintable(value) : fromBase64Lines(value);
    case 'enum': {
      const number = typeof value === 'string' ? format.enumValues![value] : Number(value);
      if (number === undefined || Number.isNaN(number)) throw new Error(`${where}: unknown value ${JSON.stringify(value)}`);
      return number;
    }
    case 'bool':
      return Boolean(value);
    case 'string':
      return String(value);
    case 'float':
    case 'double':
      return Number(value);
    default: {
      const integer = integerFromCritJson(format, value, where);
      return format.long ? integer : Number(integer);
    }
  }
}

function integerFromCritJson(format: FieldPlan, value: JsonValue, where: string): bigint {
  if (typeof value === 'number' || typeof value === 'bigint') return BigInt(value);
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value !== 'string') throw new Error(`${where}: expected an integer`);
  if (format.dev) return parseDev(value, format.odev);
  if (format.flagTable) return textToFlags(value, format.flagTable);
  if (format.dictNames) {
    for (const [number, name] of format.dictNames) if (name === value) return BigInt(number);
  }
  return parsePythonInt(value);
}

function payloadFromCritJson(extra: JsonValue, kind: string | undefined): Payload {
  switch (kind) {
    case 'tcp-queues': {
      if (!isObject(extra)) throw new Error('extra: expected { inq, outq }');
      return { inq: fromBase64Lines(String(extra.inq ?? '')), outq: fromBase64Lines(String(extra.outq ?? '')) };
    }
    case 'ipc-sem':
      if (!Array.isArray(extra)) throw new Error('extra: expected a list of semaphore values');
      return extra.map(Number);
    case 'ipc-msg': {
      if (!Array.isArray(extra)) throw new Error('extra: expected a list of messages and texts');
      const messages: IpcQueuedMessage[] = [];
      for (let i = 0; i + 1 < extra.length; i += 2) {
        const header = messageFromPlan(messagePlan('ipc_msg'), extra[i] as JsonObject);
        const data = fromBase64Lines(String(extra[i + 1])).subarray(0, Number(header.msize ?? 0));
        messages.push({ header, data });
      }
      return messages;
    }
    default:
      if (typeof extra !== 'string') throw new Error('extra: expected base64 text');
      return fromBase64Lines(extra);
  }
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
