import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { dump, restore } from '../src/index.js';
import { cleanup, compile, removeBuildDir, removeDir, selfCheck, sleep, startDetached } from './helpers.js';

/** Deleted files a task maps, its executable included, come back from ghost files. */

const dirs: string[] = [];

afterEach(async () => {
  expect(await cleanup()).toEqual([]);
});
afterAll(() => {
  for (const dir of dirs) removeDir(dir);
  removeBuildDir();
});

describe('deleted files that are mapped', () => {
  it('a deleted executable and a deleted data file mapped privately (with a page of its own) and shared', async () => {
    const t = await startDetached(compile('deleted-mapped'));
    const maps = readFileSync(`/proc/${t.pid}/maps`, 'utf8');
    expect(maps).toMatch(/exe-copy \(deleted\)/);
    expect(maps).toMatch(/\/data \(deleted\)/);
    const images = mkdtempSync(join(tmpdir(), 'deleted-mapped-'));
    dirs.push(images);
    const dumped = await dump({ pid: t.pid, imagesDir: images })();
    if (dumped._tag === 'Left') throw new Error(`dump failed: ${dumped.left.message}`);
    expect(existsSync(join(images, 'remap-fpath.img'))).toBe(true);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && existsSync(`/proc/${t.pid}`)) await sleep(10);

    const restored = await restore({ imagesDir: images })();
    if (restored._tag === 'Left') throw new Error(`restore failed: ${restored.left.message}`);
    expect(await selfCheck(t)).toMatchObject({ status: 'OK', pages: '1', exe: '1' });
    // nothing was left on disk under the old names
    expect(existsSync(join(t.dir, 'data'))).toBe(false);
    expect(existsSync(join(t.dir, 'exe-copy'))).toBe(false);
  });
});
