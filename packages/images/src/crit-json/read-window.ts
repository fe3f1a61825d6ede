/**
 * An image file read piece by piece into one buffer that is used again and again: decoding a
 * large image never holds it whole. Reading it whole would cost more than the copy: each page of
 * a new buffer is faulted in on first touch, a cost the kernel's copy into a buffer already
 * touched does not pay.
 */

/** Reads up to `length` bytes at file offset `position` into `buffer` at `offset`; 0 at the end. */
export type ReadAt = (buffer: Uint8Array, offset: number, length: number, position: number) => number;

/**
 * The buffer's first size; it doubles only for an entry larger than it. 256 KiB: a larger one
 * costs more in first-touch faults than the reads it spares.
 */
export const READ_PIECE = 1 << 18;

/** The size of the first read (see readLimit). */
const FIRST_READ = 4096;

export class ReadWindow {
  /** The file's bytes from `base` on; `filled` of them are read. */
  bytes: Uint8Array;
  base = 0;
  filled = 0;
  private ended: boolean;
  /**
   * The most the next read takes. The first read is small, so that the window moves on within
   * the first entries, while the code still runs unoptimized: met only after a full buffer, the
   * move would throw away the optimized code of the decode loop, compiled anew after it.
   */
  private readLimit = FIRST_READ;

  private constructor(
    private readonly readAt: ReadAt | undefined,
    bytes: Uint8Array,
  ) {
    this.bytes = bytes;
    this.ended = readAt === undefined;
    if (this.ended) this.filled = bytes.length;
  }

  /** A file read through `readAt` as its entries are needed. */
  static reading(readAt: ReadAt, piece = READ_PIECE): ReadWindow {
    return new ReadWindow(readAt, new Uint8Array(piece));
  }

  /** A whole file already in memory. */
  static of(bytes: Uint8Array): ReadWindow {
    return new ReadWindow(undefined, bytes);
  }

  /** The window index of file offset `position`. */
  at(position: number): number {
    return position - this.base;
  }

  /**
   * Makes the file's bytes [position, position + length) readable in `bytes` (dropping those
   * before `position`); false if the file ends first, when the window holds all the file has
   * left from `position`. The buffer grows with the data read, so a corrupt size cannot make it
   * larger than the file.
   */
  hold(position: number, length: number): boolean {
    while (position + length > this.base + this.filled) {
      if (this.ended) return false;
      this.readMore(position);
    }
    return true;
  }

  /** Reads the rest of the file; only before anything was dropped, as for images decoded whole. */
  holdAll(): void {
    while (!this.ended) this.readMore(this.base);
  }

  private readMore(keepFrom: number): void {
    const keep = keepFrom - this.base;
    if (keep > 0) {
      this.bytes.copyWithin(0, keep, this.filled);
      this.filled -= keep;
      this.base = keepFrom;
    }
    if (this.filled === this.bytes.length) {
      const larger = new Uint8Array(this.bytes.length * 2);
      larger.set(this.bytes);
      this.bytes = larger;
    }
    const count = this.readAt!(this.bytes, this.filled, Math.min(this.bytes.length - this.filled, this.readLimit), this.base + this.filled);
    this.readLimit = Infinity;
    if (count === 0) this.ended = true;
    this.filled += count;
  }
}
