/**
 * Shared memory (MAP_SHARED anonymous memory, memfds) comes back as one memfd per object, made here
 * once with its name, owner and mode, sized and filled from its pagemap-shmem/pages images, then passed
 * into every task that maps it and mapped MAP_SHARED at each of its VMAs, and into every task that held
 * it open (by @criu-ts/files): the tasks share the pages again, as they did. Seals go on last.
 * (Like CRIU, the object comes back as a memfd: /proc shows `/memfd:/dev/zero` where it showed `/dev/zero`.)
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PAGE_SIZE } from '@criu-ts/images';
import { addressOf, installFdRaw, kbuf, keepAlive, sys, sysBig } from '@criu-ts/ptrace';
import { type RemoteTask, RestoreFault, type ShmemPlan } from '@criu-ts/subsystem';

const NR_CLOSE = 3;
const NR_MMAP = 9;
const NR_MUNMAP = 11;
const NR_PREAD64 = 17;
const NR_FCNTL = 72;
const NR_FTRUNCATE = 77;
const NR_FCHMOD = 91;
const NR_FCHOWN = 93;
const NR_OPENAT = 257;
const AT_FDCWD = -100;
const O_RDONLY = 0;
const O_ACCMODE = 3;
const O_CLOEXEC = 0o2000000;
const NR_MEMFD_CREATE = 319;
const MFD_CLOEXEC = 1;
const MFD_ALLOW_SEALING = 2;
const F_ADD_SEALS = 1033;
const F_SEAL_SEAL = 1;
const MAP_SHARED = 0x01;
const MAP_PRIVATE = 0x02;
const PROT_READ = 0x1;
const PROT_WRITE = 0x2;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;
const MAP_FIXED_NOREPLACE = 0x100000;
const CHUNK = 4 << 20;

/** The memfds made for this restore, by shmid, in this process. */
export class ShmemTable {
  private readonly fds = new Map<number, number>();
  private readonly readOnly = new Map<number, number>();
  /** Seals to add once every task maps and holds what it did (by shmid). */
  private readonly pendingSeals = new Map<number, number>();

  constructor(private readonly imagesDir: string) {}

  /** Our memfd of object `plan`, made and filled on first use. */
  fdFor(plan: ShmemPlan, pid?: number): number {
    let fd = this.fds.get(plan.shmid);
    if (fd === undefined) {
      fd = createFilled(plan, this.imagesDir, pid);
      this.fds.set(plan.shmid, fd);
      const seals = plan.inode?.seals ?? F_SEAL_SEAL;
      if (seals !== F_SEAL_SEAL) this.pendingSeals.set(plan.shmid, seals);
    }
    return fd;
  }

  /** A read-only open file of object `plan` (a reopen of our memfd through /proc), made on first use. */
  readOnlyFdFor(plan: ShmemPlan, pid?: number): number {
    let fd = this.readOnly.get(plan.shmid);
    if (fd === undefined) {
      const path = kbuf(32);
      path.write(`/proc/self/fd/${this.fdFor(plan, pid)}\0`);
      fd = sys(NR_OPENAT, AT_FDCWD, addressOf(path), O_RDONLY | O_CLOEXEC, 0);
      keepAlive(path);
      if (fd < 0) throw new RestoreFault('memory', `cannot open shared memory ${plan.shmid} read-only: errno ${-fd}`, pid);
      this.readOnly.set(plan.shmid, fd);
    }
    return fd;
  }

  /**
   * Adds each object's seals. Call once every VMA is mapped and every fd is in place: F_SEAL_WRITE
   * and F_SEAL_FUTURE_WRITE forbid the writes that fill an object and the writable mappings a task
   * may have made before sealing.
   */
  seal(): void {
    for (const [shmid, seals] of this.pendingSeals) {
      const r = sys(NR_FCNTL, this.fds.get(shmid)!, F_ADD_SEALS, seals);
      if (r < 0) throw new RestoreFault('memory', `cannot seal memfd ${shmid} with seals 0x${seals.toString(16)}: errno ${-r}`);
    }
    this.pendingSeals.clear();
  }

  closeAll(): void {
    for (const fd of [...this.fds.values(), ...this.readOnly.values()]) sys(NR_CLOSE, fd);
    this.fds.clear();
    this.readOnly.clear();
    this.pendingSeals.clear();
  }
}

/**
 * Maps object `plan` at one VMA of the task: our memfd goes in (SCM_RIGHTS), is mapped MAP_SHARED at
 * the VMA's address and offset with its final protection, and is closed again. A VMA whose file was
 * open read-only gets a read-only open of the memfd: it may never become writable, as before, and
 * does not keep F_SEAL_WRITE from being added. A memfd mapped MAP_PRIVATE is mapped so again, and
 * writable until its pages are read in (its final protection comes with the others').
 */
export function mapSharedMemory(task: RemoteTask, vma: { start: bigint; end: bigint; pgoff: bigint; prot: number; flags: number; fdflags: number }, plan: ShmemPlan, table: ShmemTable): void {
  const ours = (vma.fdflags & O_ACCMODE) === O_RDONLY ? table.readOnlyFdFor(plan, task.tid) : table.fdFor(plan, task.tid);
  const fd = installFdRaw(task.tid, task.arch, ours, { cloexec: true, mode: 'vdso', at: task.helper });
  try {
    // a memfd mapped privately stays private, writable until the task's own copies of pages are in
    const privately = (vma.flags & MAP_PRIVATE) !== 0;
    const flags = (vma.flags & ~(MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED)) | (privately ? MAP_PRIVATE : MAP_SHARED) | MAP_FIXED_NOREPLACE;
    task.call('mmap', [vma.start, vma.end - vma.start, privately ? vma.prot | PROT_WRITE : vma.prot, flags, fd, vma.pgoff]);
  } finally {
    task.call('close', [fd]);
  }
}

/** A memfd named as the object was, sized, filled, owned and with the mode it had; unsealed yet. */
function createFilled(plan: ShmemPlan, imagesDir: string, pid: number | undefined): number {
  const inode = plan.inode;
  const text = inode?.name ?? 'criu-ts-shmem';
  const name = kbuf(Buffer.byteLength(text) + 1);
  name.write(text);
  // without MFD_ALLOW_SEALING a memfd is born sealed with F_SEAL_SEAL, as one that had no seals to add
  const sealable = (inode?.seals ?? F_SEAL_SEAL) !== F_SEAL_SEAL;
  // memory of huge pages: MFD_HUGETLB and the page size
  const hugetlb = inode?.hugetlbFlag ?? 0;
  const fd = sys(NR_MEMFD_CREATE, addressOf(name), MFD_CLOEXEC | (sealable ? MFD_ALLOW_SEALING : 0) | hugetlb);
  keepAlive(name);
  if (fd < 0) throw new RestoreFault('memory', `memfd_create for shared memory ${plan.shmid} (${text}): errno ${-fd}`, pid);
  try {
    const r = sys(NR_FTRUNCATE, fd, plan.size);
    if (r < 0) throw new RestoreFault('memory', `sizing shared memory ${plan.shmid} to ${plan.size} bytes: errno ${-r}`, pid);
    if (plan.pagesFile) (hugetlb ? fillMapped : fill)(fd, plan, join(imagesDir, plan.pagesFile), pid);
    if (inode) {
      const own = sys(NR_FCHOWN, fd, inode.uid, inode.gid);
      if (own < 0) throw new RestoreFault('memory', `cannot give memfd ${plan.shmid} (${text}) owner ${inode.uid}:${inode.gid}: errno ${-own}`, pid);
      if (inode.mode !== undefined) {
        const mode = sys(NR_FCHMOD, fd, inode.mode & 0o7777);
        if (mode < 0) throw new RestoreFault('memory', `cannot give memfd ${plan.shmid} (${text}) mode ${(inode.mode & 0o7777).toString(8)}: errno ${-mode}`, pid);
      }
    }
    return fd;
  } catch (error) {
    sys(NR_CLOSE, fd);
    throw error;
  }
}

/** Checks that the ranges of `plan` lie inside the object, and returns the byte length of each range's data. */
function rangeLength(plan: ShmemPlan, range: ShmemPlan['ranges'][number], pid: number | undefined): number {
  const pageEnd = range.vaddr + BigInt(range.nrPages * PAGE_SIZE);
  const pagesOfObject = ((plan.size + BigInt(PAGE_SIZE) - 1n) / BigInt(PAGE_SIZE)) * BigInt(PAGE_SIZE);
  if (pageEnd > pagesOfObject) throw new RestoreFault('memory', `pagemap-shmem-${plan.shmid}.img has pages past the object's ${plan.size} bytes`, pid);
  // the last page of an object whose size is not a whole number of pages is written up to the size: no more would grow it
  return Number((pageEnd < plan.size ? pageEnd : plan.size) - range.vaddr);
}

/**
 * Fills a memfd of huge pages, which takes no write(): it is mapped here and the pages image read
 * straight into the mapping.
 */
function fillMapped(fd: number, plan: ShmemPlan, pagesPath: string, pid: number | undefined): void {
  const at = sysBig(NR_MMAP, 0, plan.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (at < 0n) throw new RestoreFault('memory', `cannot map memfd ${plan.shmid} of huge pages to fill it: errno ${-at}`, pid);
  const pages = openSync(pagesPath, 'r');
  try {
    for (const range of plan.ranges) {
      if (range.pagesOffset === undefined) continue;
      const length = rangeLength(plan, range, pid);
      for (let done = 0; done < length; ) {
        const n = sys(NR_PREAD64, pages, at + range.vaddr + BigInt(done), length - done, range.pagesOffset + done);
        if (n < 0) throw new RestoreFault('memory', `cannot read ${plan.pagesFile} into memfd ${plan.shmid} of huge pages: errno ${-n}`, pid);
        if (n === 0) throw new RestoreFault('memory', `${plan.pagesFile} ends before the pages of shared memory ${plan.shmid}`, pid);
        done += n;
      }
    }
  } finally {
    closeSync(pages);
    sys(NR_MUNMAP, at, plan.size);
  }
}

/** Copies each range's pages from the pages image to its offset in the object (the ranges' vaddr). */
function fill(fd: number, plan: ShmemPlan, pagesPath: string, pid: number | undefined): void {
  const pages = openSync(pagesPath, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  try {
    for (const range of plan.ranges) {
      if (range.pagesOffset === undefined) continue;
      const length = rangeLength(plan, range, pid);
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
