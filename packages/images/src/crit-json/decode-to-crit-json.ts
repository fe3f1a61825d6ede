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
 * several times faster: entries are transcoded as they are read, and 64-bit integers stay
 * numbers where they are exact.
 */
export function decodeImageToCritJson(bytes: Uint8Array, file = '<image>', options: CritJsonOptions = {}): Either<ImageError, string> {
  try {
    // the text is made of pieces joined once at the end: growing one buffer to a large text
    // would copy it over and over and touch twice the memory
    const pieces: string[] = [];
    const capacity = Math.min(PIECE, critJsonSizeGuess(bytes.length, options.pretty ?? false));
    const writer = new PythonJsonWriter(options.pretty ? 4 : undefined, capacity, (piece) => {
      pieces.push(Buffer.from(piece.buffer, piece.byteOffset, piece.length).toString('latin1'));
    });
    writeImageCritJson(writer, bytes, file, options);
    writer.flush();
    return right(pieces.length === 1 ? pieces[0] : pieces.join(''));
  } catch (error) {
    return left(asImageError(error, file));
  }
}

const PIECE = 1 << 20;
