import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageValue } from '@criu-ts/images';
import { pagemapScan, PAGE_IS, PtraceFailure, type PtraceError, readMemoryInto } from '@criu-ts/ptrace';
import * as E from 'fp-ts/lib/Either.js';
import { refuse } from '@criu-ts/subsystem';
import type { Vma } from './vmas.js';

const PAGE_SIZE = 4096;
const PE_LAZY = 1 << 1;
const PE_PRESENT = 1 << 2;
const EINVAL = 22n;

export interface PagesOptions {
  /** Bytes per process_vm_readv when the pages are copied through this process (default 16 MiB). */
  readonly chunkSize?: number;
  /**
   * Mark private anonymous ranges PE_LAZY | PE_PRESENT as CRIU 4.2 does (default false: PE_PRESENT only,
   * which CRIU reads the same way when not lazy-restoring, and which @criu-ts/images' pageRanges counts).
   */
  readonly lazyFlag?: boolean;
  /** Lets the task write its own pages to the file (the fast path); without it they are copied through here. */
  readonly selfWriter?: SelfWriter;
}

/**
 * The task writes its own pages: pwrite64 run inside it, from its memory straight into the pages
 * file's page cache, one copy instead of process_vm_readv into a buffer here and a write from it.
 */
export interface SelfWriter {
  /** Passes this process's fd of the pages file to the task; returns its number there. */
  install(fd: number): number;
  /** pwrite64(taskFd, addr, length, offset) in the task: bytes written, or -errno. */
  pwrite(taskFd: number, addr: bigint, length: number, offset: number): bigint;
  close(taskFd: number): void;
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
 * mappings are left out. With a SelfWriter the task writes its pages itself; otherwise they are read
 * with synchronous process_vm_readv in chunks (the tracer thread may not wait for a promise) and
 * written from here. Like CRIU, the file is left to the page cache: no fsync.
 */
export function dumpPages(pid: number, vmas: readonly Vma[], dir: string, pagesId: number, opts: PagesOptions = {}): PagesResult {
  const chunkSize = opts.chunkSize ?? 16 << 20;
  // one buffer for every chunk: allocating and zeroing one per chunk costs as much as the copy
  const buffer = Buffer.allocUnsafeSlow(chunkSize);
  const pagemap: MessageValue[] = [];
  let pagesScanned = 0;
  let pagesWritten = 0;
  let memdumpUs = 0;
  let memwriteUs = 0;
  const path = join(dir, `pages-${pagesId}.img`);
  const fd = openSync(path, 'w');
  const taskFd = opts.selfWriter ? installDirect(opts.selfWriter, path, fd) : undefined;
  let offset = 0;
  /** Copies [addr, addr + length) to `offset` in the file, through a buffer here. */
  const copy = (addr: bigint, length: number, at: number) => {
    for (let off = 0; off < length; off += chunkSize) {
      const len = Math.min(chunkSize, length - off);
      const t1 = performance.now();
      const bytes = attemptRead(pid, addr + BigInt(off), buffer.subarray(0, len));
      if (E.isLeft(bytes)) refuse('pages', pid, `reading 0x${(addr + BigInt(off)).toString(16)}+${len}: ${bytes.left.message}`);
      const t2 = performance.now();
      for (let done = 0; done < len; ) done += writeSync(fd, bytes.right, done, len - done, at + off + done);
      memdumpUs += (t2 - t1) * 1000;
      memwriteUs += (performance.now() - t2) * 1000;
    }
  };
  /** Whether the task writes its pages itself (until its file description refuses writes). */
  let selfWriting = taskFd !== undefined;
  /**
   * The task writes the range itself; what it cannot (a PROT_NONE page: EFAULT) is copied here.
   * EINVAL is the file system refusing O_DIRECT writes after all: the rest of the dump is copied.
   */
  const selfWrite = (addr: bigint, length: number, at: number) => {
    const t1 = performance.now();
    let done = 0;
    while (done < length) {
      const n = opts.selfWriter!.pwrite(taskFd!, addr + BigInt(done), length - done, at + done);
      if (n === -EINVAL) selfWriting = false;
      if (n <= 0n) break;
      done += Number(n);
    }
    memwriteUs += (performance.now() - t1) * 1000;
    if (done < length) copy(addr + BigInt(done), length - done, at + done);
  };
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
        if (selfWriting) selfWrite(r.start, nr * PAGE_SIZE, offset);
        else copy(r.start, nr * PAGE_SIZE, offset);
        offset += nr * PAGE_SIZE;
        pagesWritten += nr;
      }
    }
  } finally {
    if (taskFd !== undefined) opts.selfWriter!.close(taskFd);
    closeSync(fd);
  }
  return { pagemap, pagesScanned, pagesWritten, memdumpUs: Math.round(memdumpUs), memwriteUs: Math.round(memwriteUs) };
}

/**
 * The task's fd of the pages file for its own writes: opened with O_DIRECT where the file system
 * takes it, so the disk reads the task's pages in place. Through the page cache instead, each page
 * is allocated and copied on its way, several times slower for the same bytes. Ranges and offsets
 * are whole pages, as O_DIRECT wants; should the file system refuse the writes all the same, that
 * range and every later one are copied through `fd`, our buffered description of the file.
 */
function installDirect(writer: SelfWriter, path: string, fd: number): number {
  let direct: number;
  try {
    direct = openSync(path, constants.O_WRONLY | constants.O_DIRECT);
  } catch {
    return writer.install(fd);
  }
  try {
    return writer.install(direct);
  } finally {
    closeSync(direct);
  }
}

function attemptRead(pid: number, addr: bigint, into: Buffer): E.Either<PtraceError, Uint8Array> {
  try {
    return E.right(readMemoryInto(pid, addr, into));
  } catch (error) {
    if (error instanceof PtraceFailure) return E.left(error.error);
    throw error;
  }
}
