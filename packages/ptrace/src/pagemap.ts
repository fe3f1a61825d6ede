import { closeSync, openSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { attempt } from './either.js';
import { fail, type PtraceError } from './errors.js';
import { addressOf, kbuf, NR, sys } from './libc.js';

/**
 * Which pages of a task hold data: /proc/PID/pagemap (one u64 per page) and its PAGEMAP_SCAN ioctl
 * (6.7+), which returns page ranges by category in one call and can write-protect what it reports
 * (dirty tracking without soft-dirty, which this kernel does not have).
 */

/** pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst). */
export const PM = {
  PRESENT: 1n << 63n,
  SWAPPED: 1n << 62n,
  FILE_OR_SHARED_ANON: 1n << 61n,
  UFFD_WP: 1n << 57n,
  EXCLUSIVE: 1n << 56n,
  SOFT_DIRTY: 1n << 55n,
} as const;

/** PAGEMAP_SCAN page categories (linux/fs.h, 6.7). */
export const PAGE_IS = {
  WPALLOWED: 1n,
  WRITTEN: 2n,
  FILE: 4n,
  PRESENT: 8n,
  SWAPPED: 16n,
  PFNZERO: 32n,
  HUGE: 64n,
  SOFT_DIRTY: 128n,
} as const;

export const PM_SCAN = { WP_MATCHING: 1n, CHECK_WPASYNC: 2n } as const;

const PAGEMAP_SCAN = 0xc0606610;
const PAGE_SHIFT = 12n;

/** The pagemap entries of [start, end) of task `pid`, one per page. */
export function readPagemap(pid: number, start: bigint, end: bigint): E.Either<PtraceError, BigUint64Array> {
  return attempt(() =>
    withPagemap(pid, (fd) => {
      const pages = Number((end - start) >> PAGE_SHIFT);
      const buf = kbuf(pages * 8);
      const got = sys(NR.pread64, fd, addressOf(buf), buf.byteLength, (start >> PAGE_SHIFT) * 8n);
      if (got < 0) fail('pread(/proc/PID/pagemap)', pid, -got);
      return new BigUint64Array(buf.buffer, buf.byteOffset, got / 8);
    }),
  );
}

/** A page range and the categories PAGEMAP_SCAN found for it (masked by returnMask). */
export interface PageRegion {
  readonly start: bigint;
  readonly end: bigint;
  readonly categories: bigint;
}

export interface PagemapScanOptions {
  /** PM_SCAN_* flags: WP_MATCHING write-protects the pages it reports (with a UFFD WP_ASYNC registration). */
  readonly flags?: bigint;
  /** Pages must have all of these categories (after inversion)... */
  readonly categoryMask?: bigint;
  /** ...and any of these. */
  readonly categoryAnyofMask?: bigint;
  readonly categoryInverted?: bigint;
  /** Categories reported in each region. */
  readonly returnMask?: bigint;
  /** Stop after this many pages (0: no limit). */
  readonly maxPages?: bigint;
}

/** PAGEMAP_SCAN over [start, end), repeated until the whole range is walked. */
export function pagemapScan(pid: number, start: bigint, end: bigint, opts: PagemapScanOptions): E.Either<PtraceError, PageRegion[]> {
  return attempt(() =>
    withPagemap(pid, (fd) => {
      const vecLen = 512;
      const vec = kbuf(vecLen * 24);
      const arg = kbuf(96);
      const out: PageRegion[] = [];
      let from = start;
      while (from < end) {
        const fields = [96n, opts.flags ?? 0n, from, end, 0n, addressOf(vec), BigInt(vecLen), opts.maxPages ?? 0n,
          opts.categoryInverted ?? 0n, opts.categoryMask ?? 0n, opts.categoryAnyofMask ?? 0n, opts.returnMask ?? 0n];
        fields.forEach((v, i) => arg.writeBigUInt64LE(v, i * 8));
        const n = sys(NR.ioctl, fd, PAGEMAP_SCAN, addressOf(arg));
        if (n < 0) fail('ioctl(PAGEMAP_SCAN)', pid, -n);
        for (let i = 0; i < n; i++) {
          out.push({ start: vec.readBigUInt64LE(i * 24), end: vec.readBigUInt64LE(i * 24 + 8), categories: vec.readBigUInt64LE(i * 24 + 16) });
        }
        const walkEnd = arg.readBigUInt64LE(32);
        if (walkEnd <= from || (opts.maxPages && n > 0)) break;
        from = walkEnd;
      }
      return out;
    }),
  );
}

/** The ranges of [start, end) whose pages are present in RAM or swapped out (what a dump must copy). */
export function populatedRanges(pid: number, start: bigint, end: bigint): E.Either<PtraceError, PageRegion[]> {
  return pagemapScan(pid, start, end, { categoryAnyofMask: PAGE_IS.PRESENT | PAGE_IS.SWAPPED, returnMask: PAGE_IS.PRESENT | PAGE_IS.SWAPPED });
}

function withPagemap<A>(pid: number, body: (fd: number) => A): A {
  let fd: number;
  try {
    fd = openSync(`/proc/${pid}/pagemap`, 'r');
  } catch (e) {
    return fail('open(/proc/PID/pagemap)', pid, -((e as NodeJS.ErrnoException).errno ?? -5));
  }
  try {
    return body(fd);
  } finally {
    closeSync(fd);
  }
}
