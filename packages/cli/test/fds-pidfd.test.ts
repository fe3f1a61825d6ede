import { existsSync } from 'node:fs';
import { ImagesDir, type MessageValue } from '@criu-ts/images';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, selfCheck, startDetached } from './helpers.js';
import { compileFds, critDecodesAll, dumpError, dumpOrThrow, expectOk, gone, imagesDir, removeFdsDirs, restoreOrThrow } from './fds-workloads.js';

/** pidfds of processes in the tree, and of one that had exited, across dump and restore (workloads/fds/pidfd.c). */

let bin: string;
beforeAll(() => {
  bin = compileFds('pidfd');
});
afterEach(async () => {
  expect(await cleanup()).toEqual([]);
});
afterAll(() => removeFdsDirs());

const O_NONBLOCK = 0o4000;

describe('a pidfd', () => {
  it('of a child names it again after restore and reports its exit; one of a reaped process stays one of an exited process', async () => {
    const t = await startDetached(bin);
    const child = Number(t.info.child);
    const images = imagesDir();
    await dumpOrThrow(t.pid, images);
    expect(await gone(t.pid)).toBe(true);
    expect(await gone(child)).toBe(true);

    // Debian's crit decodes every image, but predates pidfd_entry: it is read back with our decoder
    expect(critDecodesAll(images)).toEqual([]);
    const pidfds = filesOf(images)
      .map((f) => f.pidfd as MessageValue | undefined)
      .filter((p): p is MessageValue => p !== undefined);
    // the child's two (one non-blocking), and the reaped process's one, shared by both tasks
    expect(pidfds.map((p) => [p.nspid, p.flags]).sort()).toEqual([
      [-1, 0],
      [child, 0],
      [child, O_NONBLOCK],
    ]);

    expect(await restoreOrThrow(images)).toBe(t.pid);
    const check = await selfCheck(t);
    expect(check).toMatchObject({ pids: '1', flags: '1', alive: '1', dead: '1', exit_seen: '1', waited: '1' });
    expectOk(check);
  });

  it('of a process outside the dumped tree is refused by name, and the tree runs on', async () => {
    const t = await startDetached(bin, ['outside']);
    const message = await dumpError(t.pid, imagesDir());
    expect(message).toBe(`task ${t.pid} fd ${t.info.outside} is a pidfd of process ${t.info.parent}, which is not in the dumped tree: its pid could not be given back at restore`);
    expect(existsSync(`/proc/${t.pid}`)).toBe(true);
    expectOk(await selfCheck(t));
  });
});

/** files.img's entries as our decoder reads them. */
function filesOf(images: string): MessageValue[] {
  const dir = ImagesDir.open(images);
  if (dir._tag === 'Left') throw new Error(dir.left.message);
  const image = dir.right.read('files.img');
  if (image._tag === 'Left') throw new Error(JSON.stringify(image.left));
  return image.right.entries.map((e) => e.message);
}
