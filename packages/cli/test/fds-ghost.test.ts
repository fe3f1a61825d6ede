import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, selfCheck, startDetached, type Target } from './helpers.js';
import { compileFds, critDecode, critDecodesAll, dumpError, dumpOrThrow, expectOk, gone, imagesDir, removeFdsDirs, restoreOrThrow, scratchDir } from './fds-workloads.js';

/**
 * Files open after their name is gone (workloads/fds/deleted.c): ghost files saved in the images
 * and recreated without a name, the --ghost-limit, and link remaps (--link-remap).
 */

let bin: string;
beforeAll(() => {
  bin = compileFds('deleted');
});
afterEach(async () => {
  expect(await cleanup()).toEqual([]);
});
afterAll(() => removeFdsDirs());

async function start(mode: 'ghost' | 'big' | 'linked'): Promise<{ t: Target; shm: string }> {
  const shm = scratchDir('/dev/shm');
  return { t: await startDetached(bin, [shm, mode]), shm };
}

/** Running on as before: alive, not stopped, not traced. */
function runsOn(pid: number): boolean {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return /^State:\s+[RSD]/m.test(status) && /^TracerPid:\s+0$/m.test(status);
}

/** The criu-ts command, as a user runs it. */
function criuTs(...args: string[]) {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('../dist/bin.js', import.meta.url)), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr };
}

type Remap = { orig_id: number; remap_id: number; remap_type: string };

describe('deleted files', () => {
  it('are saved as ghost files and come back nameless with their contents, holes, offsets, size, mode, owner and times (a removed working directory, and a directory whose parent was removed too)', async () => {
    const { t, shm } = await start('ghost');
    const images = imagesDir();
    await dumpOrThrow(t.pid, images);
    expect(await gone(t.pid)).toBe(true);

    expect(critDecodesAll(images)).toEqual([]);
    const remaps = critDecode(images, 'remap-fpath.img').entries as Remap[];
    // sparse.bin twice (two open files), small.txt, the O_TMPFILE file, the directory, the FIFO, the
    // working directory, the directory in a removed directory
    expect(remaps).toHaveLength(8);
    expect(new Set(remaps.map((r) => r.remap_type))).toEqual(new Set(['GHOST']));
    expect(new Set(remaps.map((r) => r.remap_id)).size).toBe(7);
    const ghosts = readdirSync(images).filter((n) => /^ghost-file-[0-9a-f]+\.img$/.test(n));
    expect(ghosts).toHaveLength(7);
    const files = critDecode(images, 'files.img').entries as { id: number; reg?: { name: string } }[];
    const sparse = files.find((f) => f.reg?.name === join(t.dir, 'sparse.bin'))!;
    const sparseGhost = remaps.find((r) => r.orig_id === sparse.id)!.remap_id;
    // larger files are saved in chunks, the hole left out
    const head = critDecode(images, `ghost-file-${sparseGhost.toString(16)}.img`).entries[0];
    expect(head).toMatchObject({ uid: 1234, gid: 5678, chunks: true, size: 105000 });
    expect(statSync(join(images, `ghost-file-${sparseGhost.toString(16)}.img`)).size).toBeLessThan(20000);

    expect(await restoreOrThrow(images)).toBe(t.pid);
    const check = await selfCheck(t);
    expect(check).toMatchObject({ sparse_meta: '1', sparse_data: '1', second: '1', small: '1', tmpfile: '1', gone_dir: '1', fifo: '1', cwd: '1', nested: '1' });
    expectOk(check);
    // nothing left on disk: the ghosts were unlinked once open
    expect(readdirSync(t.dir).filter((n) => n.includes('ghost') || n === 'sparse.bin' || n === 'gone' || n === 'gonecwd' || n === 'outer')).toEqual([]);
    expect(readdirSync(shm)).toEqual([]);
  });

  it('above --ghost-limit are refused by name, the program runs on, and a higher limit dumps them', async () => {
    const { t } = await start('big');
    const refused = await dumpError(t.pid, imagesDir());
    expect(refused).toMatch(new RegExp(`^fd \\d+ of task ${t.pid} is the deleted file ${join(t.dir, 'big.bin')} of \\d+ bytes, more than the ghost limit of 1048576 bytes \\(raise it with --ghost-limit\\)$`));
    expect(runsOn(t.pid)).toBe(true);
    expect(await dumpError(t.pid, imagesDir(), { ghostLimit: 1 << 20 })).toContain('more than the ghost limit of 1048576 bytes');
    expect(runsOn(t.pid)).toBe(true);

    const images = imagesDir();
    await dumpOrThrow(t.pid, images, { ghostLimit: 4 << 20 });
    expect(await gone(t.pid)).toBe(true);
    expect(critDecodesAll(images)).toEqual([]);
    expect(await restoreOrThrow(images)).toBe(t.pid);
    expectOk(await selfCheck(t));
  });

  it('still linked elsewhere need --link-remap, which links them back for the restore to find', async () => {
    const { t } = await start('linked');
    const refused = await dumpError(t.pid, imagesDir());
    expect(refused).toMatch(new RegExp(`^fd \\d+ of task ${t.pid} is ${join(t.dir, 'linked.txt')}, which was deleted but is still linked elsewhere: dump it with --link-remap$`));
    expect(runsOn(t.pid)).toBe(true);
    // a refused dump makes no link
    expect(readdirSync(t.dir).filter((n) => n.startsWith('link_remap.'))).toEqual([]);

    const images = imagesDir();
    await dumpOrThrow(t.pid, images, { linkRemap: true });
    expect(await gone(t.pid)).toBe(true);
    expect(critDecodesAll(images)).toEqual([]);
    const [remap] = critDecode(images, 'remap-fpath.img').entries as Remap[];
    expect(remap.remap_type).toBe('LINKED');
    const files = critDecode(images, 'files.img').entries as { id: number; reg?: { name: string } }[];
    const link = files.find((f) => f.id === remap.remap_id)!.reg!.name;
    expect(link).toBe(join(t.dir, `link_remap.${remap.remap_id}`));
    expect(statSync(link).ino).toBe(statSync(join(t.dir, 'other.txt')).ino);

    expect(await restoreOrThrow(images)).toBe(t.pid);
    const check = await selfCheck(t);
    expect(check).toMatchObject({ same: '1', data: '1', shared: '1', name: '1' });
    expectOk(check);
    expect(existsSync(link)).toBe(false);
  });

  it('the criu-ts command takes --ghost-limit and --link-remap', async () => {
    const big = (await start('big')).t;
    const refused = criuTs('dump', '-t', String(big.pid), '-D', imagesDir());
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`the deleted file ${join(big.dir, 'big.bin')} of`);
    expect(runsOn(big.pid)).toBe(true);
    const bigImages = imagesDir();
    expect(criuTs('dump', '-t', String(big.pid), '-D', bigImages, '--ghost-limit', '4M')).toMatchObject({ status: 0 });
    expect(await gone(big.pid)).toBe(true);
    expect(await restoreOrThrow(bigImages)).toBe(big.pid);
    expectOk(await selfCheck(big));

    const linked = (await start('linked')).t;
    const linkedImages = imagesDir();
    expect(criuTs('dump', '-t', String(linked.pid), '-D', linkedImages, '--link-remap')).toMatchObject({ status: 0 });
    expect(await gone(linked.pid)).toBe(true);
    expect(await restoreOrThrow(linkedImages)).toBe(linked.pid);
    expectOk(await selfCheck(linked));
  });
});
