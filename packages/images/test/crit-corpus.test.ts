import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isRight } from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decodeImage, decodeImageToCritJson, encodeImage, formatJson, imageFromCritJson, imageToCritJson, parseJson } from '../src/index.js';

/** Images written by upstream CRIU 4.2, each with `crit decode --pretty` output beside it. */
const CORPUS = resolve(__dirname, '../../../../shared/criu-images');

const images = readdirSync(CORPUS, { withFileTypes: true })
  .filter((dir) => dir.isDirectory() && dir.name !== 'src')
  .flatMap((dir) =>
    readdirSync(join(CORPUS, dir.name))
      .filter((name) => existsSync(join(CORPUS, dir.name, `${name}.json`)))
      .map((name) => join(dir.name, name)),
  );

describe('upstream CRIU images', () => {
  it('the corpus is there', () => {
    expect(images.length).toBeGreaterThan(60);
  });

  it.each(images)('%s decodes to exactly what crit decode --pretty prints', (name) => {
    const decoded = decodeImage(readFileSync(join(CORPUS, name)), name);
    if (!isRight(decoded)) throw new Error(decoded.left.message);
    const text = formatJson(imageToCritJson(decoded.right, { pretty: true }), 4) + '\n';
    expect(text).toBe(readFileSync(join(CORPUS, `${name}.json`), 'utf8'));
  });

  it.each(images)('%s decodes straight to the same text, without the value tree', (name) => {
    const text = decodeImageToCritJson(readFileSync(join(CORPUS, name)), name, { pretty: true });
    if (!isRight(text)) throw new Error(text.left.message);
    expect(text.right + '\n').toBe(readFileSync(join(CORPUS, `${name}.json`), 'utf8'));
  });

  it.each(images)('%s encodes back from crit JSON byte for byte', (name) => {
    const json = parseJson(readFileSync(join(CORPUS, `${name}.json`), 'utf8'));
    const encoded = encodeImage(imageFromCritJson(json, name), name);
    if (!isRight(encoded)) throw new Error(encoded.left.message);
    expect(Buffer.from(encoded.right).equals(readFileSync(join(CORPUS, name)))).toBe(true);
  });
});
