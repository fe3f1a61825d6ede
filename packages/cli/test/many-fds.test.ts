import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { dump, restore } from '../src/index.js';
import { cleanup, compile, removeBuildDir, removeDir, selfCheck, sleep, startDetached } from './helpers.js';

/** Stress: one task holding 10,000 fds of mixed kinds survives a dump and a restore, every fd intact. */

const dirs: string[] = [];

afterEach(async () => {
  expect(await cleanup()).toEqual([]);
});
afterAll(() => {
  for (const dir of dirs) removeDir(dir);
  removeBuildDir();
});

describe('a task with 10,000 fds', () => {
  it('keeps every fd: files at their offsets, pipes with their bytes, eventfd counters, dups sharing their file', async () => {
    const t = await startDetached(compile('many-fds'), ['10000']);
    expect(Number(t.info.fds)).toBe(10000);
    const images = mkdtempSync(join(tmpdir(), 'many-fds-'));
    dirs.push(images);
    const dumped = await dump({ pid: t.pid, imagesDir: images })();
    if (dumped._tag === 'Left') throw new Error(`dump failed: ${dumped.left.message}`);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && existsSync(`/proc/${t.pid}`)) await sleep(10);

    const restored = await restore({ imagesDir: images })();
    if (restored._tag === 'Left') throw new Error(`restore failed: ${restored.left.message}`);
    expect(restored.right.rootPid).toBe(t.pid);
    expect(await selfCheck(t, 30_000)).toMatchObject({ status: 'OK', fds: '10000', bad_fd: '-1' });
  });
});
