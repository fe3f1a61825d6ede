/**
 * A whole image's bytes to crit's `decode` JSON, the way crit-ts prints it: each entry's message
 * is transcoded straight from the wire where it can be, else decoded and written the general way.
 */
import { ByteCursor } from '../byte-cursor.js';
import { WireReader } from '../decode-message.js';
import { IMAGE_KINDS } from '../image-kinds.js';
import { messagePlan } from '../message-plan.js';
import { openEntries, readMagic, readMessage } from '../read-entries.js';
import type { PythonJsonWriter } from './python-json-writer.js';
import { type ReadAt, READ_PIECE, ReadWindow } from './read-window.js';
import type { CritJsonOptions } from './to-crit-json.js';
import { type Shape, transcodeMessage, transcodeShape } from './transcode-message.js';
import { writeCritJson, writeFields } from './write-crit-json.js';

/** Writes `{ "magic": ..., "entries": [...] }`; a bad entry throws ImageFault, as openEntries does. */
export function writeImageCritJson(writer: PythonJsonWriter, bytes: Uint8Array, file: string, options: CritJsonOptions = {}): void {
  writeWindowCritJson(writer, ReadWindow.of(bytes), file, options);
}

/** The same from a file read piece by piece as its entries are written (see ReadWindow). */
export function writeImageFileCritJson(
  writer: PythonJsonWriter,
  readAt: ReadAt,
  file: string,
  options: CritJsonOptions = {},
  piece = READ_PIECE,
): void {
  writeWindowCritJson(writer, ReadWindow.reading(readAt, piece), file, options);
}

function writeWindowCritJson(writer: PythonJsonWriter, window: ReadWindow, file: string, options: CritJsonOptions): void {
  // the magics are at most 8 bytes: a shorter file is read whole, to name what is missing
  if (!window.hold(0, 8)) window.holdAll();
  const header = cursorAt(window, 0, file);
  const magic = readMagic(header);
  const kind = IMAGE_KINDS[magic];
  // payloads are sized by their entry's values, so those images take the general way throughout
  if (!kind || kind.payload || kind.ghost) {
    window.holdAll();
    const { entries } = openEntries(window.bytes.subarray(0, window.filled), file, 'safe-number');
    writeCritJson(writer, magic, entries, options);
    return;
  }
  const pretty = options.pretty ?? false;
  const head = kind.headMessage === undefined ? undefined : transcodeShape(messagePlan(kind.headMessage), pretty, false);
  const body = transcodeShape(messagePlan(kind.message), pretty, false);
  writer.beginObject();
  writer.key('magic');
  writer.string(magic);
  writer.key('entries');
  writer.beginArray();
  const entries = { window, reader: new WireReader(window.bytes, 0, 0, false), file, pretty };
  let position = header.offset;
  let index = 0;
  for (; window.hold(position, 1); index++) {
    if (index === 0) {
      writer.item();
      writer.beginObject();
    } else writer.nextObjectItem();
    position = writeEntry(writer, entries, position, index, index === 0 && head ? head : body);
  }
  if (index > 0) writer.endObject();
  writer.endArray();
  writer.endObject();
}

/**
 * One entry's fields, transcoded, or, if the transcoder declines, decoded and written the general
 * way, which throws ImageFault for a bad one; returns the file offset after the entry.
 */
function writeEntry(writer: PythonJsonWriter, entries: Entries, position: number, index: number, shape: Shape): number {
  const { window, file, pretty } = entries;
  if (window.hold(position, 4)) {
    let bytes = window.bytes;
    const sizeAt = window.at(position);
    const size = (bytes[sizeAt] | (bytes[sizeAt + 1] << 8) | (bytes[sizeAt + 2] << 16) | (bytes[sizeAt + 3] << 24)) >>> 0;
    if (window.hold(position, 4 + size)) {
      bytes = window.bytes;
      const start = window.at(position) + 4;
      const end = start + size;
      // a window that grew is a new buffer
      if (entries.reader.bytes !== bytes) entries.reader = new WireReader(bytes, 0, 0, false);
      const reader = entries.reader;
      reader.pos = start;
      reader.end = end;
      writer.mark();
      try {
        if (transcodeMessage(writer, reader, end, shape)) return position + 4 + size;
      } catch {
        // the general way below names what is wrong
      }
      writer.rewind();
    }
  }
  // the window now holds the whole entry, or all the file has left
  const cursor = cursorAt(window, position, file);
  cursor.entry = index;
  writeFields(writer, shape.plan, readMessage(cursor, shape.plan.name), pretty, false);
  return window.base + cursor.offset;
}

/** What writeEntry reads from: the window on the file, and the wire reader on its buffer. */
interface Entries {
  readonly window: ReadWindow;
  reader: WireReader;
  readonly file: string;
  readonly pretty: boolean;
}

/** A cursor at file offset `position` on what the window holds, naming file offsets in its errors. */
function cursorAt(window: ReadWindow, position: number, file: string): ByteCursor {
  const cursor = new ByteCursor(window.bytes.subarray(0, window.filled), file, window.at(position));
  cursor.origin = window.base;
  cursor.longs = 'safe-number';
  return cursor;
}
