/**
 * A whole image's bytes to crit's `decode` JSON, the way crit-ts prints it: each entry's message
 * is transcoded straight from the wire where it can be, else decoded and written the general way.
 */
import { ByteCursor } from '../byte-cursor.js';
import { WireReader } from '../decode-message.js';
import { IMAGE_KINDS } from '../image-kinds.js';
import { messagePlan, type MessagePlan } from '../message-plan.js';
import { openEntries, readMagic, readMessage } from '../read-entries.js';
import type { PythonJsonWriter } from './python-json-writer.js';
import type { CritJsonOptions } from './to-crit-json.js';
import { transcodeMessage } from './transcode-message.js';
import { writeCritJson, writeFields } from './write-crit-json.js';

/** Writes `{ "magic": ..., "entries": [...] }`; a bad entry throws ImageFault, as openEntries does. */
export function writeImageCritJson(writer: PythonJsonWriter, bytes: Uint8Array, file: string, options: CritJsonOptions = {}): void {
  const cursor = new ByteCursor(bytes, file);
  cursor.longs = 'safe-number';
  const magic = readMagic(cursor);
  const kind = IMAGE_KINDS[magic];
  // payloads are sized by their entry's values, so those images take the general way throughout
  if (!kind || kind.payload || kind.ghost) {
    const { entries } = openEntries(bytes, file, 'safe-number');
    writeCritJson(writer, magic, entries, options);
    return;
  }
  const pretty = options.pretty ?? false;
  const head = kind.headMessage === undefined ? undefined : messagePlan(kind.headMessage);
  const body = messagePlan(kind.message);
  writer.beginObject();
  writer.key('magic');
  writer.string(magic);
  writer.key('entries');
  writer.beginArray();
  const reader = new WireReader(bytes, 0, 0, false);
  for (let index = 0; !cursor.atEnd; index++) {
    cursor.entry = index;
    writer.item();
    writer.beginObject();
    writeEntry(writer, cursor, reader, index === 0 && head ? head : body, pretty);
    writer.endObject();
  }
  writer.endArray();
  writer.endObject();
}

/** One entry's fields: transcoded, or, if the transcoder declines, decoded and written. */
function writeEntry(writer: PythonJsonWriter, cursor: ByteCursor, reader: WireReader, plan: MessagePlan, pretty: boolean): void {
  const sizeAt = cursor.offset;
  const size = cursor.remaining >= 4 ? cursor.u32('an entry size') : -1;
  if (size >= 0 && size <= cursor.remaining) {
    const start = cursor.offset;
    const end = start + size;
    reader.pos = start;
    reader.end = end;
    writer.mark();
    try {
      if (transcodeMessage(writer, reader, end, plan, pretty, false)) {
        cursor.offset = end;
        return;
      }
    } catch {
      // the general way below names what is wrong
    }
    writer.rewind();
  }
  cursor.offset = sizeAt;
  writeFields(writer, plan, readMessage(cursor, plan.name), pretty, false);
}
