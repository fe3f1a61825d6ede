/**
 * Reading an image file's entries: its magic, then each entry and its payload, lazily, throwing
 * ImageFault at the first bad one. (read-image.ts wraps this for callers who want an Either.)
 */
import { ByteCursor } from './byte-cursor.js';
import { type LongForm, decodeMessage, WireFault } from './decode-message.js';
import { IMAGE_KINDS, type ImageKind } from './image-kinds.js';
import { IMG_COMMON_MAGIC, IMG_SERVICE_MAGIC, magicName } from './magic.js';
import { messagePlan } from './message-plan.js';
import type { MessageValue } from './message-values.js';
import { announcedPayloadSize, type IpcQueuedMessage, type Payload, roundUp } from './payload.js';

export interface ImageEntry {
  readonly message: MessageValue;
  /** The message's protobuf type name (pagemap and ghost-file images start with a head entry). */
  readonly type: string;
  readonly payload?: Payload;
}

export interface Image {
  /** crit's name of the image's magic, e.g. "CORE". */
  readonly magic: string;
  readonly entries: ImageEntry[];
}

/**
 * Reads the header and returns the image's magic name and a generator over its entries; a bad
 * entry throws ImageFault when the generator reaches it, so a caller can stop early.
 */
export function openEntries(
  bytes: Uint8Array,
  file = '<image>',
  longs: LongForm = 'bigint',
): { magic: string; entries: Generator<ImageEntry> } {
  const cursor = new ByteCursor(bytes, file);
  cursor.longs = longs;
  const magic = readMagic(cursor);
  const kind = IMAGE_KINDS[magic];
  if (!kind) cursor.fail('unsupported', `image ${magic} has no known message type`, 0);
  return { magic, entries: readEntries(cursor, kind) };
}

/** Reads the one or two magics at the head of an image and names the image. */
export function readMagic(cursor: ByteCursor): string {
  let value = cursor.u32('the magic');
  if (value === IMG_COMMON_MAGIC || value === IMG_SERVICE_MAGIC) value = cursor.u32('the image magic');
  const name = magicName(value);
  if (name === undefined) {
    cursor.fail('magic', `unknown magic 0x${value.toString(16)} (a raw image such as pages-*.img has no magic)`, cursor.offset - 4);
  }
  return name;
}

function* readEntries(cursor: ByteCursor, kind: ImageKind): Generator<ImageEntry> {
  let index = 0;
  while (!cursor.atEnd) {
    cursor.entry = index;
    const typeName = index === 0 && kind.headMessage ? kind.headMessage : kind.message;
    const message = readMessage(cursor, typeName);
    if (kind.ghost && index === 0) {
      // Without chunks the rest of the file is the ghost file's contents.
      if (message.chunks) yield { message, type: typeName };
      else {
        const contents = cursor.take(cursor.remaining, 'ghost file contents');
        // the whole rest of the file is the contents: only the announced size can tell it is cut short
        if (message.size !== undefined && BigInt(message.size as bigint) !== BigInt(contents.length)) {
          cursor.fail('truncated', `ghost file contents are ${contents.length} bytes, the entry announces ${message.size}`);
        }
        yield { message, type: typeName, payload: contents };
        return;
      }
    } else if (kind.ghost) {
      yield { message, type: typeName, payload: cursor.take(Number(message.len ?? 0), 'a ghost file chunk') };
    } else if (kind.payload) {
      yield { message, type: typeName, payload: readPayload(cursor, kind, message) };
    } else {
      yield { message, type: typeName };
    }
    index += 1;
  }
}

/** Reads one u32 length and the protobuf message it frames. */
export function readMessage(cursor: ByteCursor, typeName: string): MessageValue {
  const size = cursor.u32('an entry size');
  if (size > cursor.remaining) cursor.take(size, `an entry of ${typeName}`); // fails: truncated
  const plan = messagePlan(typeName);
  const at = cursor.offset;
  cursor.offset += size;
  try {
    return decodeMessage(plan, cursor.bytes, at, at + size, cursor.longs);
  } catch (error) {
    // anything else (a stack overflow on absurdly nested groups) is still this entry's fault
    const offset = error instanceof WireFault ? error.offset : at - 4;
    return cursor.fail('corrupt', `not a valid ${typeName}: ${(error as Error).message}`, offset);
  }
}

function readPayload(cursor: ByteCursor, kind: ImageKind, message: MessageValue): Payload {
  const payload = kind.payload!;
  const size = announcedPayloadSize(payload, message);
  switch (payload) {
    case 'tcp-queues': {
      const inq = cursor.take(Number(message.inq_len ?? 0), 'the TCP receive queue');
      const outq = cursor.take(Number(message.outq_len ?? 0), 'the TCP send queue');
      return { inq, outq };
    }
    case 'ipc-shm':
      return cursor.take(size, 'the shared memory segment').subarray(0, Number(message.size ?? 0));
    case 'ipc-sem': {
      const raw = cursor.take(size, 'the semaphore values');
      const values: number[] = [];
      for (let i = 0; i < Number(message.nsems ?? 0); i++) values.push(raw[2 * i] | (raw[2 * i + 1] << 8));
      return values;
    }
    case 'ipc-msg': {
      const messages: IpcQueuedMessage[] = [];
      for (let i = 0; i < size; i++) {
        const header = readMessage(cursor, 'ipc_msg');
        const length = Number(header.msize ?? 0);
        const data = cursor.take(roundUp(length, 8), 'a queued SysV message').subarray(0, length);
        messages.push({ header, data });
      }
      return messages;
    }
    default:
      return cursor.take(size, `the ${payload} payload`);
  }
}

