/**
 * One schema message to its wire bytes and back, for values that are not a whole image (a core's
 * thread_info on its own, say); the values have the shape described in message-values.ts.
 */
import { type Either, left, right } from 'fp-ts/lib/Either.js';
import { decodeMessage, WireFault } from './decode-message.js';
import { EncodeFault, encodeMessage } from './encode-message.js';
import { imageError, type ImageError } from './image-error.js';
import { messagePlan } from './message-plan.js';
import type { MessageValue } from './message-values.js';

export function encodeMessageValue(typeName: string, value: MessageValue): Either<ImageError, Uint8Array> {
  try {
    return right(encodeMessage(messagePlan(typeName), value));
  } catch (error) {
    if (error instanceof EncodeFault) return left(imageError('corrupt', typeName, 0, 0, error.message));
    throw error;
  }
}

export function decodeMessageValue(typeName: string, bytes: Uint8Array): Either<ImageError, MessageValue> {
  try {
    return right(decodeMessage(messagePlan(typeName), bytes, 0, bytes.length));
  } catch (error) {
    if (error instanceof WireFault) return left(imageError('corrupt', typeName, 0, error.offset, error.message));
    throw error;
  }
}
