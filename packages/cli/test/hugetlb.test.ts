import { readFileSync, writeFileSync } from 'node:fs';
import { ImagesDir, type MessageValue } from '@criu-ts/images';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { critDecodesAll, dumpOrThrow, expectOk, gone, imagesDir, removeFdsDirs, restoreOrThrow } from './fds-workloads.js';
import { cleanup, compile, removeBuildDir, selfCheck, startDetached } from './helpers.js';

/** Memory of huge pages, private, shared and in a memfd (workloads/hugetlb.c). */

const NR_HUGEPAGES = '/proc/sys/vm/nr_hugepages';
const MAP_HUGETLB = 0x40000;
const MAP_HUGE_2MB = 21 << 26;
const MFD_HUGETLB = 4;
const VMA_ANON_PRIVATE = 1 << 9;
const VMA_AREA_MEMFD = 1 << 14;

let bin: string;
let poolBefore: string | undefined;

/** The workload maps 5 huge pages of 2 MiB; the pool gets room for them (and some) while the tests run. */
beforeAll(() => {
  bin = compile('hugetlb');
  const free = Number(/^HugePages_Free:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  if (free < 8) {
    poolBefore = readFileSync(NR_HUGEPAGES, 'utf8').trim();
    writeFileSync(NR_HUGEPAGES, String(Number(poolBefore) + 8 - free));
  }
});
afterEach(async () => {
  expect(await cleanup()).toEqual([]);
});
afterAll(() => {
  if (poolBefore !== undefined) writeFileSync(NR_HUGEPAGES, poolBefore);
  removeFdsDirs();
  removeBuildDir();
});

describe('memory of huge pages', () => {
  it('comes back with its contents, its page size and its sharing: private, shared anonymous, and a memfd', async () => {
    const t = await startDetached(bin);
    expect(t.info.error).toBeUndefined();
    const images = imagesDir();
    await dumpOrThrow(t.pid, images);
    expect(await gone(t.pid)).toBe(true);

    // CRIU's form: the private mapping is anonymous memory with MAP_HUGETLB and the page size, the
    // shared objects are memfds of huge pages (hugetlb_flag)
    expect(critDecodesAll(images)).toEqual([]);
    const dir = ImagesDir.open(images);
    if (dir._tag === 'Left') throw new Error(dir.left.message);
    const entries = (name: string) => {
      const image = dir.right.read(name);
      if (image._tag === 'Left') throw new Error(image.left.message);
      return image.right.entries.map((e) => e.message as MessageValue);
    };
    const vmas = (entries(`mm-${t.pid}.img`)[0].vmas as MessageValue[]).filter((v) => Number(v.flags) & MAP_HUGETLB);
    expect(vmas).toHaveLength(4);
    for (const vma of vmas) expect(Number(vma.flags) & MAP_HUGE_2MB).toBe(MAP_HUGE_2MB);
    expect(vmas.filter((v) => Number(v.status) & VMA_ANON_PRIVATE)).toHaveLength(1);
    expect(vmas.filter((v) => Number(v.status) & VMA_AREA_MEMFD)).toHaveLength(3);
    const inodes = entries('memfd.img');
    expect(inodes.map((i) => [String(i.name), Number(i.hugetlb_flag)]).sort()).toEqual([
      ['/anon_hugepage', MFD_HUGETLB | MAP_HUGE_2MB],
      ['huge-memfd', MFD_HUGETLB | MAP_HUGE_2MB],
    ]);

    expect(await restoreOrThrow(images)).toBe(t.pid);
    const check = await selfCheck(t);
    expect(check).toMatchObject({ contents: '1', huge: '1', shared: '1', memfd: '1', private: '1' });
    expectOk(check);
  });
});
