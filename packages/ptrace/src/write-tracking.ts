import * as E from 'fp-ts/lib/Either.js';
import type { Arch } from './arch.js';
import { attempt } from './either.js';
import { EPERM, fail, PtraceFailure, type PtraceError } from './errors.js';
import { stealFdRaw } from './fds.js';
import { addressOf, kbuf, keepAlive, NR, sys } from './libc.js';
import { pagemapScan, PAGE_IS, PM_SCAN, type PageRegion } from './pagemap.js';
import { threadGroupOf } from './proc.js';
import { remoteCall } from './scratch.js';

/**
 * Which pages a task writes, without soft-dirty (which this kernel, and every arm64 kernel, lacks):
 * a userfaultfd created by the task itself, registered for asynchronous write-protection over the
 * tracked ranges, makes the kernel mark each written page; PAGEMAP_SCAN then reports the written
 * ranges and write-protects them again in the same call. The task need not be stopped between rounds.
 * Not seen: new mappings (diff the maps each round), writes through other processes' shared
 * mappings, MADV_DONTNEED of private file pages; [vdso]/[vvar] cannot be registered.
 */
export interface WriteTracker {
  readonly pid: number;
  /** Our copy of the task's userfaultfd (the task's own was closed: nothing is left in its fd table). */
  readonly uffd: number;
  readonly ranges: readonly { readonly start: bigint; readonly end: bigint }[];
}

const UFFDIO_API = 0xc018aa3f;
const UFFDIO_REGISTER = 0xc020aa00;
const UFFD_API = 0xaan;
const UFFD_FEATURE_WP_UNPOPULATED = 1n << 13n;
const UFFD_FEATURE_WP_ASYNC = 1n << 15n;
const UFFDIO_REGISTER_MODE_WP = 2n;
const UFFD_USER_MODE_ONLY = 1;
const O_CLOEXEC = 0x80000;
const O_NONBLOCK = 0x800;

/** Starts tracking writes to page-aligned `ranges` of the task `tid` belongs to (tid must be frozen). */
export function startWriteTracking(tid: number, arch: Arch, ranges: readonly { start: bigint; end: bigint }[]): E.Either<PtraceError, WriteTracker> {
  return attempt(() => {
    const pid = threadGroupOf(tid) ?? tid;
    let remoteFd: bigint;
    try {
      remoteFd = remoteCall(tid, arch, 'userfaultfd', [O_CLOEXEC | O_NONBLOCK]);
    } catch (e) {
      // Without CAP_SYS_PTRACE (and vm.unprivileged_userfaultfd=0) only a user-mode-only uffd is allowed; async WP never faults into it anyway.
      if (!(e instanceof PtraceFailure) || e.error.errno !== EPERM) throw e;
      remoteFd = remoteCall(tid, arch, 'userfaultfd', [O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY]);
    }
    let uffd: number;
    try {
      uffd = stealFdRaw(pid, Number(remoteFd));
    } finally {
      remoteCall(tid, arch, 'close', [remoteFd]);
    }
    try {
      const api = kbuf(24);
      api.writeBigUInt64LE(UFFD_API, 0);
      api.writeBigUInt64LE(UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED, 8);
      ioctl(pid, uffd, UFFDIO_API, api, 'ioctl(UFFDIO_API)');
      for (const r of ranges) {
        const reg = kbuf(32);
        reg.writeBigUInt64LE(r.start, 0);
        reg.writeBigUInt64LE(r.end - r.start, 8);
        reg.writeBigUInt64LE(UFFDIO_REGISTER_MODE_WP, 16);
        ioctl(pid, uffd, UFFDIO_REGISTER, reg, `ioctl(UFFDIO_REGISTER 0x${r.start.toString(16)})`);
      }
      const tracker = { pid, uffd, ranges: ranges.map((r) => ({ start: r.start, end: r.end })) };
      // The first scan reports every page as written; it also write-protects them all: start clean.
      collectWritesRaw(tracker);
      return tracker;
    } catch (e) {
      sys(NR.close, uffd);
      throw e;
    }
  });
}

/** The ranges written since the previous call (or since tracking started), write-protecting them again. */
export function collectWrites(tracker: WriteTracker): E.Either<PtraceError, PageRegion[]> {
  return attempt(() => collectWritesRaw(tracker));
}

function collectWritesRaw(tracker: WriteTracker): PageRegion[] {
  const out: PageRegion[] = [];
  for (const r of tracker.ranges) {
    const scan = pagemapScan(tracker.pid, r.start, r.end, {
      flags: PM_SCAN.WP_MATCHING | PM_SCAN.CHECK_WPASYNC,
      categoryMask: PAGE_IS.WRITTEN,
      returnMask: PAGE_IS.WRITTEN,
    });
    // EPERM from CHECK_WPASYNC: part of the range is not registered (a new mapping): all of it counts as written.
    if (E.isLeft(scan)) {
      if (scan.left.errno !== EPERM) throw new PtraceFailure(scan.left);
      out.push({ start: r.start, end: r.end, categories: PAGE_IS.WRITTEN });
      continue;
    }
    out.push(...scan.right);
  }
  return out;
}

/** Stops tracking: closing the last reference to the userfaultfd unregisters the ranges. */
export function stopWriteTracking(tracker: WriteTracker): void {
  sys(NR.close, tracker.uffd);
}

function ioctl(pid: number, fd: number, request: number, arg: Buffer, name: string): void {
  const r = sys(NR.ioctl, fd, request, addressOf(arg));
  keepAlive(arg);
  if (r < 0) fail(name, pid, -r);
}
