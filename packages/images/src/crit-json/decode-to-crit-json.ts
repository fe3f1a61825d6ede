/** An image's bytes straight to crit's `decode` JSON text, the fast way crit-ts itself takes. */
import { type Either, left, right } from 'fp-ts/lib/Either.js';
import type { ImageError } from '../image-error.js';
import { asImageError } from '../read-image.js';
import { PythonJsonWriter } from './python-json-writer.js';
import type { CritJsonOptions } from './to-crit-json.js';
import { writeImageCritJson } from './write-image-crit-json.js';
import { critJsonSizeGuess } from './write-crit-json.js';

/**
 * The same text as `formatJson(imageToCritJson(decodeImage(bytes)), pretty ? 4 : undefined)`,
 * several times faster: entries are written as they are decoded, and 64-bit integers stay
 * numbers where they are exact.
 */
export function decodeImageToCritJson(bytes: Uint8Array, file = '<image>', options: CritJsonOptions = {}): Either<ImageError, string> {
  try {
    const writer = new PythonJsonWriter(options.pretty ? 4 : undefined, critJsonSizeGuess(bytes.length, options.pretty ?? false));
    writeImageCritJson(writer, bytes, file, options);
    return right(writer.text());
  } catch (error) {
    return left(asImageError(error, file));
  }
}
