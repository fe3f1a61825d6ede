/** Reading a whole image held in memory, as an Either for callers who do not want exceptions. */
import { type Either, left, right } from 'fp-ts/lib/Either.js';
import { type ImageError, ImageFault } from './image-error.js';
import { openEntries, type Image } from './read-entries.js';

export * from './read-entries.js';

/** Decodes a whole image held in memory. */
export function decodeImage(bytes: Uint8Array, file = '<image>'): Either<ImageError, Image> {
  try {
    const { magic, entries } = openEntries(bytes, file);
    return right({ magic, entries: [...entries] });
  } catch (error) {
    return left(asImageError(error, file));
  }
}

export function asImageError(error: unknown, file: string): ImageError {
  if (error instanceof ImageFault) return error.error;
  const message = error instanceof Error ? error.message : String(error);
  return { kind: 'io', file, entry: -1, offset: 0, message: `${file}: ${message}` };
}
