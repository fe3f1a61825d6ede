/**
 * Shared memory (MAP_SHARED anonymous memory, memfds) comes back as one memfd per object, made here
 * once, sized and filled from its pagemap-shmem/pages images, then passed into every task that maps
 * it and mapped MAP_SHARED at each of its VMAs: the tasks share the pages again, as they did.
 * (Like CRIU, the object comes back as a memfd: /proc shows `/memfd:...` where it showed `/dev/zero`.)
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PAGE_SIZE } from '@criu-ts/images';
import { addressOf, installFdRaw, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { type RemoteTask, RestoreFault, type ShmemPlan } from '@criu-ts/subsystem';

const NR_CLOSE = 3;
const NR_FTRUNCATE = 77;
const NR_MEMFD_CREATE = 319;
const MFD_CLOEXEC = 1;
const MAP_SHARED = 0x01;
const MAP_PRIVATE = 0x02;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_FIXED_NOREPLACE = 0x100000;
const CHUNK = 4 << 20;

/** The memfds made for this restore, by shmid, in this process. */
export class ShmemTable {
  private readonly fds = new Map<number, number>();

  constructor(private readonly imagesDir: string) {}

  /** Our memfd of object `plan`, made and filled on first use. */
  fdFor(plan: ShmemPlan, pid: number): number {
    let fd = this.fds.get(plan.shmid);
    if (fd === undefined) {
      fd = createFilled(plan, this.imagesDir, pid);
      this.fds.set(plan.shmid, fd);
    }
    return fd;
  }

  closeAll(): void {
    for (const fd of this.fds.values()) sys(NR_CLOSE, fd);
    this.fds.clear();
  }
}

/**
 * Maps object `plan` at one VMA of the task: our memfd goes in (SCM_RIGHTS), is mapped MAP_SHARED at
 * the VMA's address and offset with its final protection, and is closed again.
 */
export function mapSharedMemory(task: RemoteTask, vma: { start: bigint; end: bigint; pgoff: bigint; prot: number; flags: number }, plan: ShmemPlan, table: ShmemTable): void {
  const ours = table.fdFor(plan, task.tid);
  const fd = installFdRaw(task.tid, task.arch, ours, { cloexec: true, mode: 'vdso', at: task.helper });
  try {
    const flags = (vma.flags & ~(MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)) | MAP_SHARED | MAP_FIXED_NOREPLACE;
    task.call('mmap', [vma.start, vma.end - vma.start, vma.prot, flags, fd, vma.pgoff]);
  } finally {
    task.call('close', [fd]);
  }
}

function createFilled(plan: ShmemPlan, imagesDir: string, pid: number): number {
  const name = kbuf(32);
  name.write('criu-ts-shmem');
  const fd = sys(NR_MEMFD_CREATE, addressOf(name), MFD_CLOEXEC);
  keepAlive(name);
  if (fd < 0) throw new RestoreFault('memory', `memfd_create for shared memory ${plan.shmid}: errno ${-fd}`, pid);
  try {
    const r = sys(NR_FTRUNCATE, fd, plan.size);
    if (r < 0) throw new RestoreFault('memory', `sizing shared memory ${plan.shmid} to ${plan.size} bytes: errno ${-r}`, pid);
    if (plan.pagesFile) fill(fd, plan, join(imagesDir, plan.pagesFile), pid);
    return fd;
  } catch (error) {
    sys(NR_CLOSE, fd);
    throw error;
  }
}

/** Copies each range's pages from the pages image to its offset in the object (the ranges' vaddr). */
function fill(fd: number, plan: ShmemPlan, pagesPath: string, pid: number): void {
  const pages = openSync(pagesPath, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  try {
    for (const range of plan.ranges) {
      if (range.pagesOffset === undefined) continue;
      const length = range.nrPages * PAGE_SIZE;
      if (range.vaddr + BigInt(length) > plan.size) throw new RestoreFault('memory', `pagemap-shmem-${plan.shmid}.img has pages past the object's ${plan.size} bytes`, pid);
      for (let done = 0; done < length; ) {
        const n = readSync(pages, buf, 0, Math.min(CHUNK, length - done), range.pagesOffset + done);
        if (n <= 0) throw new RestoreFault('memory', `${plan.pagesFile} ends before the pages of shared memory ${plan.shmid}`, pid);
        for (let written = 0; written < n; ) written += writeSync(fd, buf, written, n - written, Number(range.vaddr) + done + written);
        done += n;
      }
    }
  } finally {
    closeSync(pages);
  }
}
