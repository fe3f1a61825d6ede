/** Why an image could not be read or written. */
export type ImageErrorKind =
  | 'io' // the file could not be read or written
  | 'magic' // unknown or missing magic
  | 'truncated' // the file ends inside an entry or its payload
  | 'corrupt' // an entry's bytes are not a valid message of its type
  | 'json' // crit JSON that does not describe an image
  | 'unsupported'; // an image kind this codec has no message for

/**
 * One clear error naming the file, the entry index and the byte offset where reading stopped.
 * `entry` is -1 when the fault is in the image header (its magic).
 */
export interface ImageError {
  readonly kind: ImageErrorKind;
  readonly file: string;
  readonly entry: number;
  readonly offset: number;
  readonly message: string;
}

export function imageError(kind: ImageErrorKind, file: string, entry: number, offset: number, detail: string): ImageError {
  const where = entry < 0 ? `at offset ${offset}` : `entry ${entry} at offset ${offset}`;
  return { kind, file, entry, offset, message: `${file}: ${where}: ${detail}` };
}

/** Thrown inside the codec and turned into an `Either` at the package's edges. */
export class ImageFault extends Error {
  constructor(readonly error: ImageError) {
    super(error.message);
  }
}
