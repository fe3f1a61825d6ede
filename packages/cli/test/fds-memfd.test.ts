import { ImagesDir, type MessageValue } from '@criu-ts/images';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, selfCheck, startDetached } from './helpers.js';
import { compileFds, critDecode, critDecodesAll, dumpOrThrow, expectOk, gone, imagesDir, removeFdsDirs, restoreOrThrow } from './fds-workloads.js';

/** memfds: open, mapped, or both, as one object with its name, contents, seals and mode (workloads/fds/memfd.c). */

let bin: string;
beforeAll(() => {
  bin = compileFds('memfd');
});
afterEach(async () => {
  expect(await cleanup()).toEqual([]);
});
afterAll(() => removeFdsDirs());

const F_SEAL_SEAL = 1;
const F_SEAL_SHRINK = 2;
const F_SEAL_GROW = 4;
const F_SEAL_WRITE = 8;
const PAGE = 4096;
const O_RDWR = 2;
const O_NONBLOCK = 0o4000;
const O_LARGEFILE = 0o100000;

describe('a memfd', () => {
  it('keeps its name, contents with a hole, seals, mode and offsets, and stays one object with its shared and private mappings', async () => {
    const t = await startDetached(bin);
    const images = imagesDir();
    await dumpOrThrow(t.pid, images);
    expect(await gone(t.pid)).toBe(true);

    // CRIU's layout: one memfd_inode_entry per memfd, MEMFD files.img entries naming it, its pages as shmem
    expect(critDecodesAll(images)).toEqual([]);
    const dir = openImages(images);
    const inodes = new Map(entriesOf(dir, 'memfd.img').map((i) => [String(i.name), i]));
    // the shared anonymous memory is an object of the same kind, named as /proc shows it
    expect([...inodes.keys()].sort()).toEqual(['/dev/zero', 'mapped-memfd', 'sealed-memfd', 'shared-memfd']);
    const shared = inodes.get('shared-memfd')!;
    expect(shared).toMatchObject({ size: BigInt(4 * PAGE + 1000), mode: 0o100640, seals: F_SEAL_GROW | F_SEAL_SHRINK });
    expect(inodes.get('sealed-memfd')).toMatchObject({ size: 12n, seals: F_SEAL_WRITE | F_SEAL_SEAL });
    expect(inodes.get('mapped-memfd')).toMatchObject({ size: BigInt(PAGE), seals: F_SEAL_SEAL });
    // the fd at 5000 (O_NONBLOCK), the read-only reopen at 100, and the entry its mapping names
    const files = critDecode(images, 'files.img').entries as { type: string; memfd?: { flags: number; pos: number; inode_id: number } }[];
    const openFiles = files.filter((f) => f.type === 'MEMFD' && f.memfd!.inode_id === Number(shared.inode_id)).map((f) => [f.memfd!.pos, f.memfd!.flags]);
    expect(openFiles.sort((a, b) => a[0] - b[0])).toEqual([
      [0, O_RDWR],
      [100, O_LARGEFILE],
      [5000, O_LARGEFILE | O_NONBLOCK | O_RDWR],
    ]);
    // page 2 is a hole: two runs of pages, none for it; the last page is the 1000-byte tail
    const pagemap = dir.pagemap(`pagemap-shmem-${shared.shmid}.img`);
    if (pagemap._tag === 'Left') throw new Error(pagemap.left.message);
    expect(pagemap.right.ranges.map((r) => [r.vaddr, r.nrPages])).toEqual([
      [0n, 2],
      [BigInt(3 * PAGE), 2],
    ]);

    expect(await restoreOrThrow(images)).toBe(t.pid);
    const check = await selfCheck(t);
    expect(check).toMatchObject({
      name: '1',
      size: '1',
      mode: '1',
      seals: '1',
      contents: '1',
      hole: '1',
      offset: '1',
      flags: '1',
      one_inode: '1',
      map_to_fd: '1',
      fd_to_map: '1',
      reader_sees: '1',
      private: '1',
      anon_private: '1',
      sealed_size: '1',
      sealed: '1',
      mapped_only: '1',
    });
    expectOk(check);
  });
});

function openImages(images: string): ImagesDir {
  const dir = ImagesDir.open(images);
  if (dir._tag === 'Left') throw new Error(dir.left.message);
  return dir.right;
}

/** An image's messages as our decoder reads them (Debian's crit predates memfd_inode_entry.mode). */
function entriesOf(dir: ImagesDir, name: string): MessageValue[] {
  const image = dir.read(name);
  if (image._tag === 'Left') throw new Error(JSON.stringify(image.left));
  return image.right.entries.map((e) => e.message);
}
