import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, selfCheck, startDetached } from './helpers.js';
import { compileFds, critDecode, critDecodesAll, dumpOrThrow, expectOk, gone, imagesDir, removeFdsDirs, restoreOrThrow } from './fds-workloads.js';

/** FIFOs: dumped as CRIU writes them, restored with both ends, their queue, flags, capacity and owner (workloads/fds/fifo.c). */

let bin: string;
beforeAll(() => {
  bin = compileFds('fifo');
});
afterEach(async () => {
  expect(await cleanup()).toEqual([]);
});
afterAll(() => removeFdsDirs());

describe('a FIFO', () => {
  it('keeps its unread bytes, its capacity, a non-blocking reader with its owner in the parent, and the writer in a child', async () => {
    const t = await startDetached(bin);
    const child = Number(t.info.child);
    const images = imagesDir();
    await dumpOrThrow(t.pid, images);
    expect(await gone(t.pid)).toBe(true);
    expect(await gone(child)).toBe(true);

    // CRIU's layout: a FIFO entry naming a REG entry for the path, the queue in fifo-data.img
    expect(critDecodesAll(images)).toEqual([]);
    const files = critDecode(images, 'files.img').entries as { type: string; id: number; fifo?: Record<string, number>; reg?: Record<string, unknown> }[];
    const fifos = files.filter((f) => f.type === 'FIFO');
    const ino = statSync(join(t.dir, 'fifo')).ino;
    // the read end (one open file, held by both tasks) and the write end
    expect(fifos).toHaveLength(2);
    for (const f of fifos) {
      expect(f.fifo!.pipe_id).toBe(ino);
      expect(files.find((r) => r.id === f.fifo!.regf_id)?.reg?.name).toBe(join(t.dir, 'fifo'));
    }
    const data = critDecode(images, 'fifo-data.img').entries;
    expect(data).toEqual([expect.objectContaining({ pipe_id: ino, bytes: 17, size: 128 * 1024 })]);

    expect(await restoreOrThrow(images)).toBe(t.pid);
    const check = await selfCheck(t);
    expect(check).toMatchObject({ nonblock: '1', capacity: '1', fown: '1', queued: '1', writer: '1', from_child: '1', sigio: '1', child_exit: '1', eof: '1', child_ends: '1', child_same: '1', child_wrote: '1' });
    expectOk(check);
  });
});
