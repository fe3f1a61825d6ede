import { ImagesDir, type MessageValue } from '@criu-ts/images';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { critDecodesAll, dumpOrThrow, expectOk, gone, imagesDir, removeFdsDirs, restoreOrThrow } from './fds-workloads.js';
import { cleanup, compile, removeBuildDir, selfCheck, startDetached } from './helpers.js';

/** Seccomp filters of a task of two threads, per thread or shared with TSYNC (workloads/seccomp.c). */

const SECCOMP_MODE_FILTER = 2;
const SECCOMP_FILTER_FLAG_TSYNC = 1;
const SECCOMP_FILTER_FLAG_LOG = 2;
/** The 4 instructions of each of the workload's filters. */
const PROGRAM_BYTES = 32;

let bin: string;
beforeAll(() => {
  bin = compile('seccomp');
});
afterEach(async () => {
  expect(await cleanup()).toEqual([]);
});
afterAll(() => {
  removeFdsDirs();
  removeBuildDir();
});

function read(images: string, name: string): MessageValue {
  const dir = ImagesDir.open(images);
  if (dir._tag === 'Left') throw new Error(dir.left.message);
  const image = dir.right.read(name);
  if (image._tag === 'Left') throw new Error(image.left.message);
  return image.right.entries[0].message;
}

const threadCore = (images: string, tid: number) => read(images, `core-${tid}.img`).thread_core as MessageValue;

describe('seccomp filters', () => {
  it("come back on each thread, the worker's own filter stacked on the one it inherited", async () => {
    const t = await startDetached(bin);
    expect(t.info.error).toBeUndefined();
    const worker = Number(t.info.worker);
    const images = imagesDir();
    await dumpOrThrow(t.pid, images);
    expect(await gone(t.pid)).toBe(true);

    // CRIU's form: each thread's chain newest first, each filter linking (prev) to the one installed
    // after it; a thread's core names its first
    expect(critDecodesAll(images)).toEqual([]);
    const filters = read(images, 'seccomp.img').seccomp_filters as MessageValue[];
    expect(filters.map((f) => [(f.filter as Uint8Array).length, f.prev, Number(f.flags)])).toEqual([
      [PROGRAM_BYTES, undefined, 0],
      [PROGRAM_BYTES, undefined, SECCOMP_FILTER_FLAG_LOG],
      [PROGRAM_BYTES, 1, 0],
    ]);
    // the worker's first filter is the one it inherited from the main thread
    expect(Buffer.from(filters[2].filter as Uint8Array).equals(Buffer.from(filters[0].filter as Uint8Array))).toBe(true);
    expect(threadCore(images, t.pid)).toMatchObject({ seccomp_mode: SECCOMP_MODE_FILTER, seccomp_filter: 0 });
    expect(threadCore(images, worker)).toMatchObject({ seccomp_mode: SECCOMP_MODE_FILTER, seccomp_filter: 2 });

    expect(await restoreOrThrow(images)).toBe(t.pid);
    const check = await selfCheck(t);
    expect(check).toMatchObject({ main: '1', worker: '1', lines: '1', later: '1' });
    expectOk(check);
  });

  it('installed with TSYNC come back shared by the threads, so a later TSYNC install still works', async () => {
    const t = await startDetached(bin, ['tsync']);
    expect(t.info.error).toBeUndefined();
    const images = imagesDir();
    await dumpOrThrow(t.pid, images);
    expect(await gone(t.pid)).toBe(true);

    // one chain, on the main thread, marked TSYNC; the worker gets it from there
    expect(critDecodesAll(images)).toEqual([]);
    const filters = read(images, 'seccomp.img').seccomp_filters as MessageValue[];
    expect(filters.map((f) => Number(f.flags))).toEqual([SECCOMP_FILTER_FLAG_TSYNC]);
    expect(threadCore(images, t.pid)).toMatchObject({ seccomp_mode: SECCOMP_MODE_FILTER, seccomp_filter: 0 });
    expect(threadCore(images, Number(t.info.worker)).seccomp_mode).toBeUndefined();

    expect(await restoreOrThrow(images)).toBe(t.pid);
    const check = await selfCheck(t);
    expect(check).toMatchObject({ main: '1', worker: '1', lines: '1', later: '1' });
    expectOk(check);
  });
});
