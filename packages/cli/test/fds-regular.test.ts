import { appendFileSync, chmodSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { restore } from '../src/index.js';
import { cleanup, selfCheck, startDetached, type Target } from './helpers.js';
import { compileFds, critDecode, critDecodesAll, dumpOrThrow, expectOk, gone, imagesDir, removeFdsDirs, restoreOrThrow, scratchDir } from './fds-workloads.js';

/** Regular files in full (workloads/fds/regular.c): each check is the restored program's own. */

let bin: string;
beforeAll(() => {
  bin = compileFds('regular');
});
afterEach(async () => {
  expect(await cleanup()).toEqual([]);
});
afterAll(() => removeFdsDirs());

async function dumped(): Promise<{ t: Target; images: string; child: number }> {
  const t = await startDetached(bin, [scratchDir('/dev/shm')]);
  const images = imagesDir();
  await dumpOrThrow(t.pid, images);
  const child = Number(t.info.child);
  expect(await gone(t.pid)).toBe(true);
  expect(await gone(child)).toBe(true);
  return { t, images, child };
}

type Reg = { id: number; flags: number; pos: number; name: string; fown: Record<string, number> };

describe('regular files', () => {
  it('O_PATH fds, a directory, /proc and /sys files, tmpfs, O_APPEND, O_DIRECT, an owner and an offset shared by fork survive dump and restore', async () => {
    const { t, images, child } = await dumped();
    expect(critDecodesAll(images)).toEqual([]);
    const regs = (critDecode(images, 'files.img').entries as { reg?: Reg }[]).flatMap((f) => (f.reg ? [f.reg] : []));
    const named = (path: string) => regs.filter((r) => r.name === path);
    // /proc/self is the task's own directory, and reopened as such
    expect(named(`/proc/${t.pid}/status`)).toHaveLength(1);
    expect(named(`/proc/${t.pid}/status`)[0].pos).toBe(5);
    expect(named(join(t.dir, 'owned.txt'))[0].fown).toMatchObject({ pid_type: 2, pid: t.pid });
    // one open file for the parent and the child it forked
    const shared = named(join(t.dir, 'shared.txt'));
    expect(shared).toHaveLength(1);
    const fdinfo = (pid: number) => critDecode(images, `fdinfo-${pid === t.pid ? 2 : 3}.img`).entries.map((e) => e.id);
    expect(fdinfo(t.pid)).toContain(shared[0].id);
    expect(fdinfo(child)).toContain(shared[0].id);

    expect(await restoreOrThrow(images)).toBe(t.pid);
    const check = await selfCheck(t);
    expect(check).toMatchObject({
      opath_dir: '1', opath_link: '1', opath_fifo: '1', dir: '1', proc: '1', sys: '1', tmpfs: '1', append: '1', direct: '1', fown: '1', shared: '1', child_read: '1',
    });
    expectOk(check);
  });

  it('a file whose size or mode changed since the dump is refused by name, and restores once it is back as it was', async () => {
    const { t, images } = await dumped();
    const file = join(t.dir, 'shared.txt');
    const { size, mode } = statSync(file);

    appendFileSync(file, 'more');
    const grown = await restore({ imagesDir: images })();
    expect(grown._tag === 'Left' && grown.left.message).toBe(`${file} is ${size + 4} bytes, it was ${size} bytes when dumped: the file changed since the dump`);
    expect(await gone(t.pid)).toBe(true);
    truncateSync(file, size);

    chmodSync(file, 0o600);
    const chmodded = await restore({ imagesDir: images })();
    expect(chmodded._tag === 'Left' && chmodded.left.message).toContain(`${file} has mode 0100600, it had 0${mode.toString(8)} when dumped`);
    expect(await gone(t.pid)).toBe(true);
    chmodSync(file, mode & 0o7777);

    expect(await restoreOrThrow(images)).toBe(t.pid);
    expectOk(await selfCheck(t));
  });
});
