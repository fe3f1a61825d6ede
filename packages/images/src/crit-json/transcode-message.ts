/**
 * One message's wire bytes written straight as crit's JSON, with no MessageValue in between: the
 * fast path of crit-ts decode. It takes the wire form protobuf-c writes (fields in number order,
 * the items of a repeated field together, no field the schema does not know) and declines
 * anything else by returning false or throwing; the caller then takes back what was written and
 * decodes that entry the general way, which also gives a bad entry its precise error.
 */
import { readValue, type WireReader } from '../decode-message.js';
import type { FieldPlan, MessagePlan } from '../message-plan.js';
import type { ScalarValue } from '../message-values.js';
import { flagsToText } from './crit-hints.js';
import { type KeySet, type PythonJsonWriter, quotedBytes } from './python-json-writer.js';
import { keysOf, writeValue } from './write-crit-json.js';

/**
 * Writes the fields of the message of `shape` (see transcodeShape) that ends at `end`, inside an
 * object the caller opened.
 */
export function transcodeMessage(writer: PythonJsonWriter, r: WireReader, end: number, shape: Shape): boolean {
  const { plan, keys, forms, texts, pretty } = shape;
  const byNumber = plan.byNumber;
  let last = 0;
  /** The repeated field whose array is open. */
  let list: FieldPlan | undefined;
  let required = 0;
  /** The list's item before, where it is a message (see transcodeListMessage). */
  let previous: PreviousItem | undefined;
  while (r.pos < end) {
    const tag = r.uint32();
    const number = tag >>> 3;
    const wireType = tag & 7;
    const field = number < byNumber.length ? byNumber[number] : undefined;
    if (field === undefined) return false;
    if (field !== list) {
      // a field again, or out of order: the general decoder merges those
      if (number <= last) return false;
      if (list !== undefined) {
        writer.endArray();
        list = undefined;
      }
    }
    const form = forms[number];
    if (!field.repeated) {
      if (wireType !== field.wireType) return false;
      writer.keyOf(keys, number);
      last = number;
      if (field.required) required++;
      if (!transcodeValue(writer, r, field, form, texts[number], shape, number)) return false;
      continue;
    }
    // crit shows an address as one text made of all the items
    if (pretty && field.ipadd) return false;
    if (wireType === 2 && field.packable) {
      const stop = r.lengthEnd();
      // an empty packed field shows nothing
      if (r.pos === stop) continue;
      if (list === undefined) list = openList(writer, keys, (last = number), field);
      while (r.pos < stop) {
        writer.item();
        // a packed value is a scalar: written, never declined
        transcodeValue(writer, r, field, form, texts[number], shape, number);
      }
      if (r.pos !== stop) return false;
      continue;
    }
    if (wireType !== field.wireType) return false;
    if (list === undefined) {
      list = openList(writer, keys, (last = number), field);
      if (form === MESSAGE) previous = { start: 0, end: -1, textStart: 0, textEnd: 0 };
    }
    writer.item();
    if (form === MESSAGE) {
      if (!transcodeListMessage(writer, r, shape, number, previous!)) return false;
      continue;
    }
    if (!transcodeValue(writer, r, field, form, texts[number], shape, number)) return false;
  }
  if (list !== undefined) writer.endArray();
  // a varint may run past a nested message's end into the rest of its entry
  return r.pos === end && required === plan.required.length;
}

function openList(writer: PythonJsonWriter, keys: KeySet, number: number, field: FieldPlan): FieldPlan {
  writer.keyOf(keys, number);
  writer.beginArray();
  return field;
}

/**
 * A message item of a list, field `number` of `shape`. An item whose wire bytes are those of the
 * item before it (`previous`, updated here) is written as a copy of that one's text: lists often
 * repeat an item (most of a task's 64 signal actions are the default one).
 */
function transcodeListMessage(writer: PythonJsonWriter, r: WireReader, shape: Shape, number: number, previous: PreviousItem): boolean {
  const stop = r.lengthEnd();
  const start = r.pos;
  if (stop - start === previous.end - previous.start && sameBytes(r.bytes, start, previous.start, stop - start)) {
    writer.copyMarked(previous.textStart, previous.textEnd);
    r.pos = stop;
    return true;
  }
  const textStart = writer.sinceMark();
  writer.beginObject();
  if (!transcodeMessage(writer, r, stop, shape.nested[number] ?? nestedShape(shape, number))) return false;
  writer.endObject();
  previous.start = start;
  previous.end = stop;
  previous.textStart = textStart;
  previous.textEnd = writer.sinceMark();
  return true;
}

interface PreviousItem {
  /** Its wire bytes (end -1: none yet). */
  start: number;
  end: number;
  /** Its text, as offsets from the writer's mark. */
  textStart: number;
  textEnd: number;
}

function sameBytes(bytes: Uint8Array, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (bytes[a + i] !== bytes[b + i]) return false;
  return true;
}

/** How a field's values are written, decided once per message type and output style. */
const GENERAL = 0; // read as the library does, shown by writeValue
const MESSAGE = 1;
const UINT32 = 2;
const UINT64 = 3;
const HEX = 4; // an unsigned integer in crit's hex form
const ENUM = 5;
const FLAGS = 6; // a 32-bit unsigned flags field by its flag names
const BOOL = 7;

/** `texts`: the field's enum names or flag texts by value, as JSON text; the field is `number` of `shape`. */
function transcodeValue(
  writer: PythonJsonWriter,
  r: WireReader,
  field: FieldPlan,
  form: number,
  texts: Map<number, Uint8Array> | undefined,
  shape: Shape,
  number: number,
): boolean {
  switch (form) {
    case UINT32:
      writer.integer(r.uint32());
      return true;
    case UINT64: {
      const low = r.varint64Low();
      writer.uint64Words(r.high, low);
      return true;
    }
    case HEX:
      if (field.long) {
        const low = r.varint64Low();
        writer.hexWords(r.high, low);
      } else writer.hex(r.uint32());
      return true;
    case ENUM: {
      const value = r.uint32() | 0;
      const name = texts!.get(value);
      if (name === undefined) writer.integer(value);
      else writer.token(name);
      return true;
    }
    case FLAGS: {
      const value = r.uint32();
      let text = texts!.get(value);
      if (text === undefined) {
        text = quotedBytes(flagsToText(value, field.flagTable!));
        // a bound, should an image hold many distinct values
        if (texts!.size < 4096) texts!.set(value, text);
      }
      writer.token(text);
      return true;
    }
    case BOOL:
      writer.literal(r.uint32() !== 0);
      return true;
    case MESSAGE: {
      const stop = r.lengthEnd();
      writer.beginObject();
      const inner = shape.nested[number] ?? nestedShape(shape, number);
      if (!transcodeMessage(writer, r, stop, inner)) return false;
      writer.endObject();
      return true;
    }
    default:
      writeValue(writer, field, readValue(r, field) as ScalarValue, shape.pretty, shape.hex || field.hex);
      return true;
  }
}

/**
 * How the fields of a message are written, by field number, for one output style and inherited hex
 * hint: decided once, and found again without a lookup (nested ones hang off their parent).
 */
export interface Shape {
  readonly plan: MessagePlan;
  readonly keys: KeySet;
  readonly forms: Uint8Array;
  /** Enum names, or flag texts met so far, by value: an image repeats a few values over and over. */
  readonly texts: ReadonlyArray<Map<number, Uint8Array> | undefined>;
  readonly pretty: boolean;
  /** The hex hint the message inherits from a field above it. */
  readonly hex: boolean;
  /** The shapes of its message fields, by field number, made on first use. */
  readonly nested: (Shape | undefined)[];
}

/** The shape of each message type, for each output style and inherited hex hint. */
const SHAPES = new WeakMap<MessagePlan, Shape[]>();

/** The shape the transcoder writes the messages of `plan` with. */
export function transcodeShape(plan: MessagePlan, pretty: boolean, hexInherited: boolean): Shape {
  let variants = SHAPES.get(plan);
  if (variants === undefined) SHAPES.set(plan, (variants = []));
  const variant = (pretty ? 2 : 0) + (hexInherited ? 1 : 0);
  return (variants[variant] ??= makeShape(plan, pretty, hexInherited));
}

function nestedShape(shape: Shape, number: number): Shape {
  const field = shape.plan.byNumber[number]!;
  return (shape.nested[number] = transcodeShape(field.message!, shape.pretty, shape.hex || field.hex));
}

function makeShape(plan: MessagePlan, pretty: boolean, hexInherited: boolean): Shape {
  const forms = Uint8Array.from(plan.byNumber, (field) => (field ? formOf(field, pretty, hexInherited || field.hex) : GENERAL));
  const texts = plan.byNumber.map((field, number) => {
    if (forms[number] === FLAGS) return new Map<number, Uint8Array>();
    if (forms[number] !== ENUM) return undefined;
    return new Map([...field!.enumNames!].map(([value, name]) => [value, quotedBytes(name)]));
  });
  // no holes: a packed array stays fast
  const nested = plan.byNumber.map((): Shape | undefined => undefined);
  return { plan, keys: keysOf(plan), forms, texts, pretty, hex: hexInherited, nested };
}

/** What writeValue would do with the field's values, where one form covers it; else GENERAL. */
function formOf(field: FieldPlan, pretty: boolean, hex: boolean): number {
  const unsigned = field.type === 'uint32' || field.type === 'uint64';
  switch (field.type) {
    case 'message':
      return MESSAGE;
    case 'enum':
      return ENUM;
    case 'bool':
      return BOOL;
  }
  if (!unsigned) return GENERAL;
  if (!pretty) return field.type === 'uint32' ? UINT32 : UINT64;
  if (hex) return HEX;
  if (field.dev) return GENERAL;
  if (field.flags !== undefined && field.flagTable !== undefined && field.type === 'uint32') return FLAGS;
  if (field.flags !== undefined || field.dict !== undefined) return GENERAL;
  return field.type === 'uint32' ? UINT32 : UINT64;
}
