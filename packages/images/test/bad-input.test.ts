import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import {
  decodeImage,
  decodeImageToCritJson,
  encodeImage,
  formatJson,
  IMAGE_KINDS,
  IMG_COMMON_MAGIC,
  IMG_SERVICE_MAGIC,
  type ImageError,
  imageToCritJson,
} from '../src/index.js';
import { PythonJsonWriter } from '../src/crit-json/python-json-writer.js';
import { writeImageFileCritJson } from '../src/crit-json/write-image-crit-json.js';
import { ImageFault } from '../src/image-error.js';
import { random, randomImage } from './synthetic-images.js';

const CORPUS = resolve(__dirname, '../../../../shared/criu-images');

/** Real images from upstream CRIU and synthetic ones of every kind, with their entry boundaries. */
function samples(): { name: string; bytes: Uint8Array; boundaries: Set<number> }[] {
  const real = readdirSync(CORPUS, { withFileTypes: true })
    .filter((dir) => dir.isDirectory() && dir.name !== 'src')
    .flatMap((dir) =>
      readdirSync(join(CORPUS, dir.name))
        .filter((name) => name.endsWith('.img') || name === 'stats-dump')
        .filter((name) => !name.startsWith('pages-'))
        .map((name) => ({ name: join(dir.name, name), bytes: new Uint8Array(readFileSync(join(CORPUS, dir.name, name))) })),
    );
  const synthetic = Object.keys(IMAGE_KINDS).map((magic) => {
    const encoded = encodeImage(randomImage(random(7), magic));
    if (!isRight(encoded)) throw new Error(encoded.left.message);
    return { name: `synthetic-${magic}.img`, bytes: encoded.right };
  });
  return [...real, ...synthetic].map((sample) => ({ ...sample, boundaries: entryBoundaries(sample.bytes) }));
}

/**
 * Offsets where a whole entry ends: cutting an image there leaves a shorter valid image (the
 * format has no entry count), so truncation is only detectable elsewhere.
 */
function entryBoundaries(bytes: Uint8Array): Set<number> {
  const boundaries = new Set<number>();
  for (let cut = 0; cut <= bytes.length; cut++) {
    if (isRight(decodeImage(bytes.subarray(0, cut)))) boundaries.add(cut);
  }
  return boundaries;
}

/** Whether the image starts with the common or service magic (all but inventory do). */
function hasFirstMagic(bytes: Uint8Array): boolean {
  const first = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return first === IMG_COMMON_MAGIC || first === IMG_SERVICE_MAGIC;
}

function expectClearError(error: ImageError, file: string): void {
  expect(error.message.startsWith(`${file}: `)).toBe(true);
  expect(error.message).toMatch(/(entry \d+ at offset \d+|at offset \d+): \S/);
  expect(error.offset).toBeGreaterThanOrEqual(0);
  expect(error.entry).toBeGreaterThanOrEqual(-1);
}

describe('bad input', () => {
  const all = samples();

  it('every truncation inside an entry is an error naming the file, entry and offset', () => {
    let checked = 0;
    for (const { name, bytes, boundaries } of all) {
      for (let cut = 0; cut < bytes.length; cut++) {
        if (boundaries.has(cut)) continue;
        const result = decodeImage(bytes.subarray(0, cut), name);
        expect(isLeft(result), `${name} cut at ${cut}`).toBe(true);
        if (isLeft(result)) expectClearError(result.left, name);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5000);
  });

  it('a wrong magic is refused as such', () => {
    for (const { name, bytes } of all) {
      const broken = new Uint8Array(bytes);
      broken[hasFirstMagic(bytes) ? 4 : 0] ^= 0x5a;
      const result = decodeImage(broken, name);
      expect(isLeft(result)).toBe(true);
      if (isLeft(result)) {
        expect(result.left.kind).toBe('magic');
        expectClearError(result.left, name);
      }
    }
  });

  it('thousands of bit-flipped and spliced images never crash or hang the decoder', () => {
    const rnd = random(2024);
    let errors = 0;
    const started = Date.now();
    for (let round = 0; round < 6000; round++) {
      const { name, bytes } = all[Math.floor(rnd() * all.length)];
      const mutated = new Uint8Array(bytes);
      const flips = 1 + Math.floor(rnd() * 4);
      for (let i = 0; i < flips; i++) {
        const at = Math.floor(rnd() * mutated.length);
        if (rnd() < 0.7) mutated[at] ^= 1 << Math.floor(rnd() * 8);
        else mutated[at] = Math.floor(rnd() * 256);
      }
      const result = decodeImage(mutated, name); // must return, not throw
      if (isLeft(result)) {
        expectClearError(result.left, name);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(100);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it('mutated images give crit-ts decode the same text, or the same error, as the general decoder', () => {
    // crit-ts transcodes entries straight from the wire and leaves anything unusual to the
    // general decoder: whatever the bytes, the two must agree
    const rnd = random(77);
    let decoded = 0;
    for (let round = 0; round < 3000; round++) {
      const { name, bytes } = all[Math.floor(rnd() * all.length)];
      const mutated = new Uint8Array(bytes);
      const flips = 1 + Math.floor(rnd() * 3);
      for (let i = 0; i < flips; i++) mutated[Math.floor(rnd() * mutated.length)] ^= 1 << Math.floor(rnd() * 8);
      const general = decodeImage(mutated, name);
      for (const pretty of [false, true]) {
        const direct = decodeImageToCritJson(mutated, name, { pretty });
        if (isLeft(general)) {
          expect(isLeft(direct) && direct.left.message, `${name} round ${round}`).toBe(general.left.message);
          continue;
        }
        const text = formatJson(imageToCritJson(general.right, { pretty }), pretty ? 4 : undefined);
        expect(isRight(direct) && direct.right, `${name} round ${round} pretty ${pretty}`).toBe(text);
        decoded++;
      }
    }
    expect(decoded).toBeGreaterThan(1000);
  });

  it('images read piece by piece, as crit-ts reads files, decode as they do whole, to the same text or error', () => {
    // pieces far smaller than an entry: entries straddle every boundary and the window grows
    const rnd = random(31);
    let decoded = 0;
    for (let round = 0; round < 1500; round++) {
      const { name, bytes } = all[Math.floor(rnd() * all.length)];
      const mutated = new Uint8Array(bytes);
      if (round % 2) mutated[Math.floor(rnd() * mutated.length)] ^= 1 << Math.floor(rnd() * 8);
      const cut = round % 5 === 0 ? mutated.subarray(0, Math.floor(rnd() * mutated.length)) : mutated;
      const pretty = rnd() < 0.5;
      const whole = decodeImageToCritJson(cut, name, { pretty });
      const pieces = decodeReadingPieces(cut, name, pretty, 1 + Math.floor(rnd() * 48));
      expect(pieces, `${name} round ${round}`).toBe(isLeft(whole) ? whole.left.message : whole.right);
      if (isRight(whole)) decoded++;
    }
    expect(decoded).toBeGreaterThan(500);
  });

  it('random bytes after a valid magic are an error or a valid image, never a crash', () => {
    const rnd = random(99);
    for (let round = 0; round < 2000; round++) {
      const { name, bytes } = all[Math.floor(rnd() * all.length)];
      const head = hasFirstMagic(bytes) ? 8 : 4;
      const tail = Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256));
      const result = decodeImage(new Uint8Array([...bytes.subarray(0, head), ...tail]), name);
      if (isLeft(result)) expectClearError(result.left, name);
    }
  });
});

/** writeImageFileCritJson over `bytes` read `piece` bytes at a time at most: the text, or the error's message. */
function decodeReadingPieces(bytes: Uint8Array, name: string, pretty: boolean, piece: number): string {
  const text: string[] = [];
  const writer = new PythonJsonWriter(pretty ? 4 : undefined, 64, (chunk) => text.push(Buffer.from(chunk).toString('latin1')));
  const readAt = (buffer: Uint8Array, offset: number, length: number, position: number) => {
    const part = bytes.subarray(position, position + Math.min(length, piece));
    buffer.set(part, offset);
    return part.length;
  };
  try {
    writeImageFileCritJson(writer, readAt, name, { pretty }, piece);
    writer.flush();
    return text.join('');
  } catch (error) {
    if (error instanceof ImageFault) return error.message;
    throw error;
  }
}
