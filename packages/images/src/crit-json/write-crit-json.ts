/**
 * crit's `decode` JSON text of an image, written token by token as entries are decoded: the same
 * values as imageToCritJson, without building its tree. crit-ts prints this for the entries the
 * transcoder (transcode-message.ts) leaves to the general decoder.
 */
import type { MessagePlan } from '../message-plan.js';
import { messagePlan } from '../message-plan.js';
import type { MessageValue, ScalarValue } from '../message-values.js';
import type { ImageEntry } from '../read-entries.js';
import { formatIpAddress } from './addresses.js';
import { KeySet, PythonJsonWriter } from './python-json-writer.js';
import { critScalar, type CritJsonOptions, payloadToCritJson } from './to-crit-json.js';

/** Writes `{ "magic": ..., "entries": [...] }`; a bad entry throws when the iterator reaches it. */
export function writeCritJson(writer: PythonJsonWriter, magic: string, entries: Iterable<ImageEntry>, options: CritJsonOptions = {}): void {
  const pretty = options.pretty ?? false;
  writer.beginObject();
  writer.key('magic');
  writer.string(magic);
  writer.key('entries');
  writer.beginArray();
  let plan: MessagePlan | undefined;
  for (const entry of entries) {
    if (plan?.name !== entry.type) plan = messagePlan(entry.type);
    writer.item();
    writer.beginObject();
    writeFields(writer, plan, entry.message, pretty, false);
    if (entry.payload !== undefined) {
      writer.key('extra');
      writer.value(payloadToCritJson(entry.payload, options.noPayload ?? false));
    }
    writer.endObject();
  }
  writer.endArray();
  writer.endObject();
}

/** Roughly how long an image's crit JSON is: pretty text of small entries runs to 8 times the image. */
export function critJsonSizeGuess(imageSize: number, pretty: boolean): number {
  return Math.max(1 << 16, Math.ceil(imageSize * (pretty ? 8 : 4)));
}

/** The keys of each message's fields, by field number: every entry writes them again. */
const KEYS = new WeakMap<MessagePlan, KeySet>();

export function keysOf(plan: MessagePlan): KeySet {
  let keys = KEYS.get(plan);
  if (keys === undefined) KEYS.set(plan, (keys = new KeySet(plan.byNumber.map((field) => field?.name))));
  return keys;
}

/** The keys and values of one message, inside an object the caller opened. */
export function writeFields(writer: PythonJsonWriter, plan: MessagePlan, message: MessageValue, pretty: boolean, hexInherited: boolean): void {
  const fields = plan.fields;
  const keys = keysOf(plan);
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    const value = message[field.name];
    if (value === undefined) continue;
    writer.keyOf(keys, field.number);
    const hex = hexInherited || field.hex;
    if (!field.repeated) {
      writeValue(writer, field, value as ScalarValue | MessageValue, pretty, hex);
      continue;
    }
    writer.beginArray();
    if (pretty && field.ipadd) {
      writer.item();
      writer.string(formatIpAddress(value as number[]));
    } else {
      for (const item of value as ScalarValue[] | MessageValue[]) {
        writer.item();
        writeValue(writer, field, item, pretty, hex);
      }
    }
    writer.endArray();
  }
}

export function writeValue(
  writer: PythonJsonWriter,
  field: MessagePlan['fields'][number],
  value: ScalarValue | MessageValue,
  pretty: boolean,
  hex: boolean,
): void {
  if (field.type === 'message') {
    writer.beginObject();
    writeFields(writer, field.message!, value as MessageValue, pretty, hex);
    writer.endObject();
  } else if (field.integer && !(pretty && (hex || field.dev || field.flags !== undefined || field.dict !== undefined))) {
    writer.integer(value as number | bigint);
  } else if (field.integer && pretty && hex) {
    writer.hex(value as number | bigint);
  } else {
    writer.value(critScalar(field, value as ScalarValue, pretty, hex));
  }
}
