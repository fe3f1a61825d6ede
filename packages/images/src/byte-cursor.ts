import type { LongForm } from './decode-message.js';
import { imageError, ImageFault, type ImageErrorKind } from './image-error.js';

/** A read position in one image file, which turns every short read into an ImageFault. */
export class ByteCursor {
  offset: number;
  /** The entry being read, for error messages; -1 while reading the header. */
  entry = -1;
  /** The file offset of `bytes[0]`, for error messages: `bytes` may be a window on the file. */
  origin = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly file: string,
    offset = 0,
  ) {
    this.offset = offset;
  }

  /** How this image's 64-bit integers come out (see LongForm). */
  longs: LongForm = 'bigint';

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  get atEnd(): boolean {
    return this.offset >= this.bytes.length;
  }

  fail(kind: ImageErrorKind, detail: string, offset = this.offset): never {
    throw new ImageFault(imageError(kind, this.file, this.entry, this.origin + offset, detail));
  }

  u32(what: string): number {
    if (this.remaining < 4) this.fail('truncated', `file ends inside ${what} (${this.remaining} of 4 bytes)`);
    const value =
      (this.bytes[this.offset] |
        (this.bytes[this.offset + 1] << 8) |
        (this.bytes[this.offset + 2] << 16) |
        (this.bytes[this.offset + 3] << 24)) >>>
      0;
    this.offset += 4;
    return value;
  }

  take(length: number, what: string): Uint8Array {
    if (length > this.remaining) this.fail('truncated', `${what} needs ${length} bytes, the file has ${this.remaining} left`);
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }
}
