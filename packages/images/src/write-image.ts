/** Writing an image: its magics, then each entry as a u32 length, the message, and its payload. */
import { type Either, left, right } from 'fp-ts/lib/Either.js';
import { imageError, ImageFault } from './image-error.js';
import type { ImageError } from './image-error.js';
import { IMAGE_KINDS } from './image-kinds.js';
import { firstMagicFor, MAGIC_BY_NAME } from './magic.js';
import { EncodeFault, encodeMessage } from './encode-message.js';
import { messagePlan } from './message-plan.js';
import type { MessageValue } from './message-values.js';
import { type IpcQueuedMessage, type Payload, roundUp } from './payload.js';
import type { Image } from './read-image.js';
import { asImageError } from './read-image.js';

/** Encodes a whole image into one buffer. */
export function encodeImage(image: Image, file = '<image>'): Either<ImageError, Uint8Array> {
  try {
    return right(encodeImageOrThrow(image, file));
  } catch (error) {
    return left(asImageError(error, file));
  }
}

export function encodeImageOrThrow(image: Image, file = '<image>'): Uint8Array {
  const kind = IMAGE_KINDS[image.magic];
  const magic = MAGIC_BY_NAME[image.magic];
  if (!kind || magic === undefined) throw new ImageFault(imageError('unsupported', file, -1, 0, `unknown image ${image.magic}`));
  const chunks: Uint8Array[] = [];
  const first = firstMagicFor(image.magic);
  chunks.push(first === undefined ? u32(magic) : u32pair(first, magic));
  image.entries.forEach((entry, index) => {
    const typeName = index === 0 && kind.headMessage ? kind.headMessage : kind.message;
    chunks.push(frameMessage(typeName, entry.message, file, index));
    if (entry.payload !== undefined) chunks.push(...payloadChunks(entry.payload, kind.payload));
  });
  return concat(chunks);
}

/** One entry: the u32 length and the encoded message. */
export function frameMessage(typeName: string, message: MessageValue, file = '<image>', index = 0): Uint8Array {
  let body: Uint8Array;
  try {
    body = encodeMessage(messagePlan(typeName), message);
  } catch (error) {
    if (error instanceof EncodeFault) throw new ImageFault(imageError('corrupt', file, index, 0, error.message));
    throw error;
  }
  const framed = new Uint8Array(4 + body.length);
  new DataView(framed.buffer).setUint32(0, body.length, true);
  framed.set(body, 4);
  return framed;
}

function payloadChunks(payload: Payload, kind: string | undefined): Uint8Array[] {
  if (payload instanceof Uint8Array) {
    if (kind === 'ipc-shm') return [payload, new Uint8Array(roundUp(payload.length, 4) - payload.length)];
    return [payload];
  }
  if (Array.isArray(payload)) {
    if (payload.length > 0 && typeof payload[0] === 'object') {
      return (payload as IpcQueuedMessage[]).flatMap(({ header, data }) => [
        frameMessage('ipc_msg', header),
        data,
        new Uint8Array(roundUp(data.length, 8) - data.length),
      ]);
    }
    const values = payload as number[];
    const raw = new Uint8Array(roundUp(2 * values.length, 8));
    values.forEach((value, i) => {
      raw[2 * i] = value & 0xff;
      raw[2 * i + 1] = (value >> 8) & 0xff;
    });
    return [raw];
  }
  return [payload.inq, payload.outq];
}

function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value >>> 0, true);
  return bytes;
}

function u32pair(first: number, second: number): Uint8Array {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, first >>> 0, true);
  view.setUint32(4, second >>> 0, true);
  return bytes;
}

export function concat(chunks: Uint8Array[]): Uint8Array {
  const total = chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
