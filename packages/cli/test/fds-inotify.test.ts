import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, selfCheck, startDetached, type Target } from './helpers.js';
import { compileFds, critDecode, critDecodesAll, dumpError, dumpOrThrow, expectOk, gone, imagesDir, removeFdsDirs, restoreOrThrow } from './fds-workloads.js';

/**
 * inotify watches and fanotify marks: dumped as CRIU writes them, restored on the same inodes (found by
 * file handle, whatever their paths became) with the same wd numbers (workloads/fds/fsnotify.c).
 */

let bin: string;
const mounts: string[] = [];
beforeAll(() => {
  bin = compileFds('fsnotify');
});
afterEach(async () => {
  // the workload bind-mounts DIR/mnt on itself: gone before its directory is removed
  for (const mnt of mounts.splice(0)) spawnSync('umount', ['-l', mnt]);
  expect(await cleanup()).toEqual([]);
});
afterAll(() => removeFdsDirs());

async function start(args: string[] = []): Promise<Target> {
  const t = await startDetached(bin, args);
  mounts.push(join(t.dir, 'mnt'));
  expect(t.info.marks).toBe('1');
  return t;
}

interface WdEntry {
  wd: number;
  i_ino: number;
  mask: string | number;
  f_handle: { bytes: number; type: number; handle: unknown[]; path?: string };
}

describe('inotify and fanotify', () => {
  it('keep their watches and marks on the same inodes (a deleted file held open: on its ghost), with the same wds, across dump, rename, kill and restore', async () => {
    const t = await start();
    expect(t.info).toMatchObject({ wd1: '1', wd3: '3', once: '1', gone: '1' });
    const images = imagesDir();
    await dumpOrThrow(t.pid, images);
    expect(await gone(t.pid)).toBe(true);

    expect(critDecodesAll(images)).toEqual([]);
    const files = critDecode(images, 'files.img').entries as { type: string; ify?: { flags: number; wd: WdEntry[] }; ffy?: { faflags: number; mark: { type: string }[] } }[];
    const inotifies = files.filter((f) => f.type === 'INOTIFY');
    expect(inotifies).toHaveLength(3);
    const busy = inotifies.find((f) => f.ify!.wd.length === 2)!;
    const file = join(t.dir, 'file.txt');
    expect(busy.ify!.wd.map((w) => w.wd).sort()).toEqual([1, 3]);
    const onFile = busy.ify!.wd.find((w) => w.wd === 3)!;
    expect(onFile.i_ino).toBe(statSync(file).ino);
    expect(onFile.f_handle).toMatchObject({ bytes: 8, path: file });
    const fanotify = files.find((f) => f.type === 'FANOTIFY')!;
    expect(fanotify.ffy!.mark.map((m) => m.type).sort()).toEqual(['INODE', 'INODE', 'MOUNT']);

    // the restore finds the watched file by its handle, not by the name it had
    renameSync(file, join(t.dir, 'moved.txt'));
    expect(await restoreOrThrow(images)).toBe(t.pid);
    const check = await selfCheck(t);
    expect(check).toMatchObject({
      flags: '1',
      masks: '1',
      created: '1',
      modified: '1',
      quiet: '1',
      next_wd: '1',
      attrib: '1',
      oneshot: '1',
      deleted: '1',
      fan_inode: '1',
      fan_mount: '1',
      fan_quiet: '1',
      fan_flags: '1',
    });
    expectOk(check);
  });

  it('a fanotify filesystem mark is refused by name, and the tree runs on', async () => {
    const t = await start(['filesystem-mark']);
    const message = await dumpError(t.pid, imagesDir());
    expect(message).toMatch(new RegExp(`task ${t.pid} fd \\d+ is a fanotify group with a filesystem mark \\(FAN_MARK_FILESYSTEM\\)`));
    expect(existsSync(`/proc/${t.pid}`)).toBe(true);
    // its inotify instances work on (its fanotify group sees the whole file system, too busy to check)
    renameSync(join(t.dir, 'file.txt'), join(t.dir, 'moved.txt'));
    expect(await selfCheck(t)).toMatchObject({ created: '1', modified: '1', quiet: '1', next_wd: '1', attrib: '1', oneshot: '1' });
  });
});
