import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageValue } from '@criu-ts/images';
import { pagemapScan, PAGE_IS, readMemory } from '@criu-ts/ptrace';
import * as E from 'fp-ts/lib/Either.js';
import { refuse } from './fault.js';
import type { Vma } from './vmas.js';

const PAGE_SIZE = 4096;
const PE_LAZY = 1 << 1;
const PE_PRESENT = 1 << 2;

export interface PagesOptions {
  /** Bytes per process_vm_readv (default 4 MiB). */
  readonly chunkSize?: number;
  /**
   * Mark private anonymous ranges PE_LAZY | PE_PRESENT as CRIU 4.2 does (default false: PE_PRESENT only,
   * which CRIU reads the same way when not lazy-restoring, and which @criu-ts/images' pageRanges counts).
   */
  readonly lazyFlag?: boolean;
}

export interface PagesResult {
  /** pagemap-PID.img entries after the head. */
  readonly pagemap: MessageValue[];
  readonly pagesScanned: number;
  readonly pagesWritten: number;
  /** Time spent reading the task's memory, and writing it out, µs. */
  readonly memdumpUs: number;
  readonly memwriteUs: number;
}

/**
 * Copies the pages of a task's private memory into `<dir>/pages-<pagesId>.img`, in address order, and
 * returns the pagemap ranges that index them. Only pages that hold data are taken: present or swapped,
 * not the shared zero page, and in a private file mapping only the pages that were copied on write
 * (PAGEMAP_SCAN's PAGE_IS_FILE clear: the others are in the file). vdso, vvar, vsyscall and shared
 * mappings are left out. Reads are synchronous process_vm_readv in chunks (the tracer thread may not
 * wait for a promise), written straight to the file.
 */
export function dumpPages(pid: number, vmas: readonly Vma[], dir: string, pagesId: number, opts: PagesOptions = {}): PagesResult {
  const chunkSize = opts.chunkSize ?? 4 << 20;
  const pagemap: MessageValue[] = [];
  let pagesScanned = 0;
  let pagesWritten = 0;
  let memdumpUs = 0;
  let memwriteUs = 0;
  const fd = openSync(join(dir, `pages-${pagesId}.img`), 'w');
  try {
    for (const vma of vmas) {
      if (!vma.dumpPages) continue;
      pagesScanned += Number((vma.end - vma.start) / BigInt(PAGE_SIZE));
      const t0 = performance.now();
      const regions = pagemapScan(pid, vma.start, vma.end, {
        categoryInverted: PAGE_IS.PFNZERO | PAGE_IS.FILE,
        categoryMask: PAGE_IS.PFNZERO | PAGE_IS.FILE,
        categoryAnyofMask: PAGE_IS.PRESENT | PAGE_IS.SWAPPED,
        returnMask: PAGE_IS.PRESENT | PAGE_IS.SWAPPED,
      });
      if (E.isLeft(regions)) refuse('pages', pid, regions.left.message);
      memdumpUs += (performance.now() - t0) * 1000;
      const flags = opts.lazyFlag && vma.lazy ? PE_LAZY | PE_PRESENT : PE_PRESENT;
      for (const r of regions.right) {
        const nr = Number((r.end - r.start) / BigInt(PAGE_SIZE));
        pagemap.push({ vaddr: r.start, compat_nr_pages: 0, flags, nr_pages: BigInt(nr) });
        for (let off = 0; off < nr * PAGE_SIZE; off += chunkSize) {
          const len = Math.min(chunkSize, nr * PAGE_SIZE - off);
          const t1 = performance.now();
          const bytes = readMemory(pid, r.start + BigInt(off), len);
          if (E.isLeft(bytes)) refuse('pages', pid, `reading 0x${(r.start + BigInt(off)).toString(16)}+${len}: ${bytes.left.message}`);
          const t2 = performance.now();
          for (let done = 0; done < len; ) done += writeSync(fd, bytes.right, done, len - done);
          memdumpUs += (t2 - t1) * 1000;
          memwriteUs += (performance.now() - t2) * 1000;
        }
        pagesWritten += nr;
      }
    }
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { pagemap, pagesScanned, pagesWritten, memdumpUs: Math.round(memdumpUs), memwriteUs: Math.round(memwriteUs) };
}
