/** An images directory: list its images, read and write them, and read the pages they index. */
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Either, left, map, right } from 'fp-ts/lib/Either.js';
import { ByteCursor } from './byte-cursor.js';
import { imageError, type ImageError, ImageFault } from './image-error.js';
import { type PageRange, PAGE_SIZE, pageRanges } from './pagemap.js';
import { asImageError, decodeImage, type Image, type ImageEntry, openEntries, readMagic } from './read-image.js';
import { encodeImageOrThrow } from './write-image.js';

export interface ImageFileInfo {
  readonly name: string;
  /** crit's magic name, or "RAW" for images without a magic (pages, tarballs, netlink dumps). */
  readonly magic: string;
  readonly size: number;
}

export class ImagesDir {
  private constructor(readonly path: string) {}

  /** Opens an existing directory. */
  static open(path: string): Either<ImageError, ImagesDir> {
    try {
      if (!statSync(path).isDirectory()) return left(imageError('io', path, -1, 0, 'not a directory'));
      return right(new ImagesDir(path));
    } catch (error) {
      return left(asImageError(error, path));
    }
  }

  /** Every image file with its magic, by name. */
  list(): ImageFileInfo[] {
    return readdirSync(this.path, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort()
      .map((name) => {
        const bytes = readHead(join(this.path, name));
        let magic = 'RAW';
        try {
          magic = readMagic(new ByteCursor(bytes, name));
        } catch {
          // no known magic: a raw image
        }
        return { name, magic, size: statSync(join(this.path, name)).size };
      });
  }

  has(name: string): boolean {
    try {
      return statSync(join(this.path, name)).isFile();
    } catch {
      return false;
    }
  }

  read(name: string): Either<ImageError, Image> {
    try {
      return decodeImage(readFileSync(join(this.path, name)), name);
    } catch (error) {
      return left(asImageError(error, name));
    }
  }

  /** Like read, for callers that handle ImageFault themselves. */
  readOrThrow(name: string): Image {
    const result = this.read(name);
    if (result._tag === 'Left') throw new ImageFault(result.left);
    return result.right;
  }

  /** The image's entries one at a time; a bad entry throws ImageFault when reached. */
  entries(name: string): Generator<ImageEntry> {
    return openEntries(readFileSync(join(this.path, name)), name).entries;
  }

  write(name: string, image: Image): Either<ImageError, void> {
    try {
      writeFileSync(join(this.path, name), encodeImageOrThrow(image, name));
      return right(undefined);
    } catch (error) {
      return left(asImageError(error, name));
    }
  }

  /** A task's page ranges (`pagemap-<pid>.img`) and the pages image that holds them. */
  pagemap(name: string): Either<ImageError, { pagesFile: string; ranges: PageRange[] }> {
    return map((image: Image) => {
      const [head, ...rest] = image.entries;
      const pagesFile = `pages-${Number(head?.message.pages_id ?? 0)}.img`;
      return { pagesFile, ranges: pageRanges(rest.map((entry) => entry.message)) };
    })(this.read(name));
  }

  /** The bytes of one page range, read from its pages image without loading the whole file. */
  readPages(pagesFile: string, range: PageRange): Either<ImageError, Uint8Array> {
    if (range.pagesOffset === undefined) {
      return left(imageError('io', pagesFile, -1, 0, `range at 0x${range.vaddr.toString(16)} is not in this pages image`));
    }
    const length = range.nrPages * PAGE_SIZE;
    const buffer = new Uint8Array(length);
    let fd: number | undefined;
    try {
      fd = openSync(join(this.path, pagesFile), 'r');
      let done = 0;
      while (done < length) {
        const n = readSync(fd, buffer, done, length - done, range.pagesOffset + done);
        if (n === 0) {
          return left(imageError('truncated', pagesFile, -1, range.pagesOffset + done, `file ends inside the pages at 0x${range.vaddr.toString(16)}`));
        }
        done += n;
      }
      return right(buffer);
    } catch (error) {
      return left(asImageError(error, pagesFile));
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
}

function readHead(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const head = new Uint8Array(8);
    const n = readSync(fd, head, 0, 8, 0);
    return head.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
