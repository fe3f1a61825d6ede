/**
 * A task's memory rebuilt from its mm and pagemap images, inside the task itself: the donor's
 * mappings go, the vDSO and its data pages move to where they were, every dumped VMA is mapped again
 * at its address, and the task reads its own pages from the pages image (one copy, no round trip
 * through us). Then the mm_struct fields (brk, arg/env, auxv, exe) are set with PR_SET_MM_MAP.
 */
import { constants } from 'node:fs';
import { join } from 'node:path';
import { type MessageValue, PAGE_SIZE } from '@criu-ts/images';
import { hostArch, installFdRaw, readMaps, sys } from '@criu-ts/ptrace';
import { HELPER_SIZE, type RemoteTask, RestoreFault, type RestorePlan, shmidOfVma, type TaskPlan } from '@criu-ts/subsystem';
import { mapSharedMemory, type ShmemTable } from './shmem.js';

const VMA_AREA_VSYSCALL = 1 << 2;
const VMA_AREA_VDSO = 1 << 3;
const VMA_FILE_PRIVATE = 1 << 6;
const VMA_FILE_SHARED = 1 << 7;
const VMA_AREA_MEMFD = 1 << 14;
const VMA_AREA_VVAR = 1 << 12;

const PROT_WRITE = 0x2;
const MAP_SHARED = 0x1;
const MAP_ANONYMOUS = 0x20;
const MAP_FIXED = 0x10;
const MAP_FIXED_NOREPLACE = 0x100000;
const MREMAP_MAYMOVE = 1;
const MREMAP_FIXED = 2;
const O_RDONLY = 0;
const O_RDWR = 2;
const O_ACCMODE = 3;
const O_CLOEXEC = 0x80000;
/** The task is of this machine's architecture, whose value Node knows (it differs between them). */
const O_DIRECT = constants.O_DIRECT;
const EINVAL = 22;
const AT_FDCWD = -100;
const PR_SET_MM = 35;
const PR_SET_MM_MAP = 14;

/** The kernel's own mappings, which are moved rather than unmapped (vsyscall cannot be either). */
const SPECIAL_PATHS = new Set(['[vdso]', '[vvar]', '[vvar_vclock]', '[vsyscall]']);

interface Vma {
  start: bigint;
  end: bigint;
  pgoff: bigint;
  shmid: number;
  prot: number;
  flags: number;
  status: number;
  madv: bigint;
  /**
   * How the mapped file was open (O_RDONLY or O_RDWR), for shared mappings; images without it: read-
   * write for shared memory, and for a file as its protection asks.
   */
  fdflags: number;
}

/** A mapping of a file that is not shared memory. */
function isPlainFile(status: number): boolean {
  return (status & (VMA_FILE_PRIVATE | VMA_FILE_SHARED)) !== 0 && (status & VMA_AREA_MEMFD) === 0;
}

function vmasOf(task: TaskPlan): Vma[] {
  return ((task.mm.vmas ?? []) as MessageValue[]).map((v) => ({
    fdflags: Number(v.fdflags ?? (isPlainFile(Number(v.status)) && !(Number(v.prot) & PROT_WRITE) ? O_RDONLY : O_RDWR)),
    start: BigInt(v.start as bigint),
    end: BigInt(v.end as bigint),
    pgoff: BigInt(v.pgoff as bigint),
    shmid: Number(v.shmid),
    prot: Number(v.prot),
    flags: Number(v.flags),
    status: Number(v.status),
    madv: BigInt((v.madv as bigint | undefined) ?? 0n),
  }));
}

/**
 * An address for the helper area that is free in the donor and in every dumped address space, so
 * that no task has to move it while it rebuilds its memory around it.
 */
export function chooseHelperAddress(plan: RestorePlan, donorPid: number): bigint {
  const taken = plan.tasks.flatMap((t) => vmasOf(t).map((v) => [v.start, v.end] as const));
  for (const m of readMaps(donorPid) ?? []) taken.push([m.start, m.end]);
  const size = BigInt(HELPER_SIZE);
  for (let at = 0x1_0000_0000n; at < 0x7000_0000_0000n; at += 0x100_0000n) {
    if (taken.every(([start, end]) => at + size <= start || at >= end)) return at;
  }
  throw new RestoreFault('memory', 'no address is free for the helper area in every task');
}

/** Unmaps everything the task inherited from the donor but the helper area and the kernel's own mappings. */
export function dropDonorMappings(task: RemoteTask): void {
  for (const m of readMaps(task.tid) ?? []) {
    if (SPECIAL_PATHS.has(m.path) || m.start === task.helper) continue;
    task.call('munmap', [m.start, m.end - m.start]);
  }
}

/**
 * Moves the vDSO and its data pages to the addresses they had at dump time. Code in the vDSO finds
 * its data at a fixed distance, so the data block ([vvar], [vvar_vclock], which the images hold as
 * one VVAR area) and the code move by their own deltas, first out of the way, then into place.
 */
export function moveVdso(task: RemoteTask, plan: TaskPlan): void {
  const current = (readMaps(task.tid) ?? []).filter((m) => m.path === '[vvar]' || m.path === '[vvar_vclock]' || m.path === '[vdso]');
  const dumped = vmasOf(plan);
  const blocks = [
    { pieces: current.filter((m) => m.path !== '[vdso]'), target: dumped.filter((v) => v.status & VMA_AREA_VVAR) },
    { pieces: current.filter((m) => m.path === '[vdso]'), target: dumped.filter((v) => v.status & VMA_AREA_VDSO) },
  ].filter((block) => block.pieces.length > 0 || block.target.length > 0);
  const span = (areas: readonly { start: bigint; end: bigint }[]) => (areas.length === 0 ? 0n : areas[areas.length - 1].end - areas[0].start);
  for (const block of blocks) {
    if (block.pieces.length === 0 || block.target.length === 0 || span(block.pieces) !== span(block.target)) {
      throw new RestoreFault('memory', 'the vDSO of this kernel differs from the dumped one: restore on the kernel the images were made on', task.tid);
    }
  }
  const moves = blocks.flatMap((block) => {
    const delta = block.target[0].start - block.pieces[0].start;
    return block.pieces.map((m) => ({ from: m.start, size: m.end - m.start, to: m.start + delta }));
  });
  if (moves.every((move) => move.from === move.to)) return;
  // park every piece past the helper area first, so that no move lands on a piece not yet moved
  let parking = task.helper! + BigInt(HELPER_SIZE) + 0x100_0000n;
  const parked = moves.map((move) => {
    task.call('mremap', [move.from, move.size, move.size, MREMAP_MAYMOVE | MREMAP_FIXED, parking]);
    const at = parking;
    parking += move.size + 0x10000n;
    return { ...move, at };
  });
  for (const move of parked) task.call('mremap', [move.at, move.size, move.size, MREMAP_MAYMOVE | MREMAP_FIXED, move.to]);
}

/**
 * Maps every dumped VMA at its address, fills it from the pages image, then gives it its protection.
 * Shared memory is mapped from the object made once for the whole tree (see shmem.ts).
 */
export function restoreVmas(task: RemoteTask, plan: TaskPlan, restore: RestorePlan, shmem: ShmemTable, deleted?: DeletedFileOpener): void {
  const vmas = vmasOf(plan).filter((v) => !(v.status & (VMA_AREA_VDSO | VMA_AREA_VVAR | VMA_AREA_VSYSCALL)));
  for (const vma of vmas) {
    task.resetScratch();
    const length = vma.end - vma.start;
    // writable until the pages are in; the final protection comes after
    const prot = vma.prot | PROT_WRITE;
    const fixed = MAP_FIXED_NOREPLACE | (vma.flags & ~MAP_FIXED);
    const shmid = shmidOfVma(restore, { status: vma.status, shmid: vma.shmid });
    if (shmid !== undefined) {
      const object = restore.shmem.get(shmid);
      if (!object) throw new RestoreFault('memory', `the VMA at 0x${vma.start.toString(16)} maps shared memory ${shmid}, which the images do not describe`, plan.pid);
      mapSharedMemory(task, vma, object, shmem);
    } else if (vma.status & (VMA_FILE_PRIVATE | VMA_FILE_SHARED)) {
      // a shared mapping is writable, or may become so, through a file opened read-write
      const writable = (vma.flags & MAP_SHARED) !== 0 && ((vma.prot & PROT_WRITE) !== 0 || (vma.fdflags & O_ACCMODE) === O_RDWR);
      const fd = openMappedFile(task, restore, vma.shmid, plan.pid, writable ? O_RDWR : O_RDONLY, deleted);
      try {
        // MAP_SHARED file pages are the file's: mapped writable only if they were
        task.call('mmap', [vma.start, length, vma.flags & MAP_SHARED ? vma.prot : prot, fixed & ~MAP_ANONYMOUS, fd, vma.pgoff]);
      } finally {
        task.call('close', [fd]);
      }
    } else {
      task.call('mmap', [vma.start, length, prot, fixed | MAP_ANONYMOUS, -1, 0]);
    }
  }
  readPages(task, plan, restore);
  for (const vma of vmas) {
    if (!(vma.flags & MAP_SHARED)) task.call('mprotect', [vma.start, vma.end - vma.start, vma.prot]);
    applyMadvise(task, vma);
  }
}

/**
 * The task reads its pages straight from the pages image with pread64, one call per contiguous run,
 * through O_DIRECT where the file system takes it: the disk then writes into the task's pages, which
 * the kernel faults in by the batch, where a buffered read copies from the page cache, faulting the
 * fresh pages one at a time (several times slower; the kernel writes back any of the image still
 * dirty first, so the bytes are the same). Pages and their offsets are page-aligned, as O_DIRECT
 * wants; a run it refuses all the same (EINVAL) is read buffered.
 */
function readPages(task: RemoteTask, plan: TaskPlan, restore: RestorePlan): void {
  const ranges = plan.pageRanges.filter((r) => r.pagesOffset !== undefined);
  if (ranges.length === 0) return;
  task.resetScratch();
  const path = task.putString(join(restore.imagesDir, plan.pagesFile));
  const direct = task.try('openat', [AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_DIRECT, 0]).ret;
  let buffered: bigint | undefined;
  const bufferedFd = () => (buffered ??= task.call('openat', [AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0]));
  try {
    let run: { vaddr: bigint; offset: number; length: number } | undefined;
    const flush = () => {
      if (!run) return;
      let done = 0;
      let fd = direct >= 0n ? direct : bufferedFd();
      while (done < run.length) {
        const args = [fd, run.vaddr + BigInt(done), run.length - done, run.offset + done];
        const n = Number(task.try('pread64', args).ret);
        if (n === -EINVAL && fd === direct) {
          fd = bufferedFd();
          continue;
        }
        if (n < 0) throw new RestoreFault('memory', `cannot read ${plan.pagesFile} at ${run.offset + done}: errno ${-n}`, plan.pid);
        if (n === 0) throw new RestoreFault('memory', `${plan.pagesFile} ends before the pages at 0x${run.vaddr.toString(16)}`, plan.pid);
        done += n;
      }
    };
    for (const range of ranges) {
      const length = range.nrPages * PAGE_SIZE;
      if (run && run.vaddr + BigInt(run.length) === range.vaddr && run.offset + run.length === range.pagesOffset) run.length += length;
      else {
        flush();
        run = { vaddr: range.vaddr, offset: range.pagesOffset!, length };
      }
    }
    flush();
  } finally {
    if (direct >= 0n) task.call('close', [direct]);
    if (buffered !== undefined) task.call('close', [buffered]);
  }
}

/** madv holds one bit per MADV_* advice the VMA had (MADV_DONTFORK, MADV_HUGEPAGE, ...). */
function applyMadvise(task: RemoteTask, vma: Vma): void {
  for (let advice = 0n; advice < 64n; advice++) {
    if (vma.madv & (1n << advice)) task.call('madvise', [vma.start, vma.end - vma.start, advice]);
  }
}

/**
 * For a file that was deleted at dump time (REG entry `id`): a new fd of the restorer's on it, opened
 * with `flags`, that the caller closes; undefined for a file found at its path.
 */
export type DeletedFileOpener = (id: number, flags: number) => number | undefined;

/** File `id` opened in the task: by its path, or, if it was deleted, passed in from its ghost or link remap. */
function openMappedFile(task: RemoteTask, restore: RestorePlan, id: number, pid: number, flags: number, deleted?: DeletedFileOpener): bigint {
  const ours = deleted?.(id, flags);
  if (ours === undefined) return task.call('openat', [AT_FDCWD, task.putString(filePath(restore, id, pid)), flags | O_CLOEXEC, 0]);
  try {
    return BigInt(installFdRaw(task.tid, task.arch, ours, { cloexec: true, mode: 'vdso', at: task.helper }));
  } finally {
    sys(hostArch().syscalls.close, ours);
  }
}

function filePath(restore: RestorePlan, id: number, pid: number): string {
  const file = restore.files.get(id);
  const reg = file?.reg as MessageValue | undefined;
  if (!reg?.name) throw new RestoreFault('memory', `a file mapping names file ${id}, which files.img does not describe as a regular file`, pid);
  return String(reg.name);
}

/**
 * PR_SET_MM_MAP: the mm_struct's code/data/brk/stack/arg/env bounds, auxv and exe file, in one call.
 * Without it the first brk() of the restored program fails and /proc/PID/exe points at the donor.
 */
export function restoreMmStruct(task: RemoteTask, plan: TaskPlan, restore: RestorePlan, deleted?: DeletedFileOpener): void {
  task.resetScratch();
  const mm = plan.mm;
  const auxvWords = ((mm.mm_saved_auxv ?? []) as bigint[]).map((w) => BigInt(w));
  const auxv = new Uint8Array(auxvWords.length * 8);
  auxvWords.forEach((w, i) => new DataView(auxv.buffer).setBigUint64(i * 8, BigInt.asUintN(64, w), true));
  const auxvAt = task.put(auxv);
  const exeFd = openMappedFile(task, restore, Number(mm.exe_file_id), plan.pid, O_RDONLY, deleted);
  try {
    const map = new Uint8Array(104);
    const view = new DataView(map.buffer);
    const fields = ['mm_start_code', 'mm_end_code', 'mm_start_data', 'mm_end_data', 'mm_start_brk', 'mm_brk', 'mm_start_stack', 'mm_arg_start', 'mm_arg_end', 'mm_env_start', 'mm_env_end'];
    fields.forEach((name, i) => view.setBigUint64(i * 8, BigInt(mm[name] as bigint), true));
    view.setBigUint64(88, auxvAt, true);
    view.setUint32(96, auxv.length, true);
    view.setInt32(100, Number(exeFd), true);
    task.call('prctl', [PR_SET_MM, PR_SET_MM_MAP, task.put(map), map.length, 0]);
  } finally {
    task.call('close', [exeFd]);
  }
}
