import type { MessageValue } from '@criu-ts/images';
import { readFileSync } from 'node:fs';
import { refuse } from '@criu-ts/subsystem';

/** CRIU's VMA_* status bits. */
export const VMA = {
  AREA_REGULAR: 1 << 0,
  AREA_STACK: 1 << 1,
  AREA_VSYSCALL: 1 << 2,
  AREA_VDSO: 1 << 3,
  AREA_HEAP: 1 << 5,
  FILE_PRIVATE: 1 << 6,
  FILE_SHARED: 1 << 7,
  ANON_SHARED: 1 << 8,
  ANON_PRIVATE: 1 << 9,
  AREA_VVAR: 1 << 12,
  AREA_MEMFD: 1 << 14,
} as const;

export const MAP = { SHARED: 0x1, PRIVATE: 0x2, DROPPABLE: 0x8, ANONYMOUS: 0x20, GROWSDOWN: 0x100, LOCKED: 0x2000, NORESERVE: 0x4000, HUGETLB: 0x40000 } as const;
const PROT = { READ: 1, WRITE: 2, EXEC: 4 } as const;
const O_RDONLY = 0;
const O_RDWR = 2;
const PAGE_SIZE = 4096n;
/** mmap and memfd_create take the huge page size as its log2 in these bits (MAP_HUGE_SHIFT). */
const HUGE_SHIFT = 26;

/** madvise numbers whose VmFlags CRIU records as bits of vma_entry.madv. */
const MADV_BY_VMFLAG: Readonly<Record<string, number>> = { sr: 2, rr: 1, dc: 10, dd: 16, mg: 12, hg: 14, nh: 15, wf: 18 };
const MAP_BY_VMFLAG: Readonly<Record<string, number>> = { gd: MAP.GROWSDOWN, lo: MAP.LOCKED, nr: MAP.NORESERVE, ht: MAP.HUGETLB };

/** The REG ids of the files a task maps (files.img is kept by @criu-ts/files; the cli joins the two). */
export interface MappedFiles {
  /** The id of the file behind a /proc link (`/proc/PID/map_files/START-END`), named `name`. */
  mapped(pid: number, link: string, name: string): number;
  /**
   * The MEMFD id of the shared memory object (shmem: MAP_SHARED anonymous memory or a memfd) behind a
   * /proc link, one per object however many VMAs and tasks map it.
   */
  sharedMemory(pid: number, link: string, name: string): number;
}

/** One VMA as it goes into mm-PID.img, with what the pages dump needs to know about it. */
export interface Vma {
  readonly entry: MessageValue;
  readonly start: bigint;
  readonly end: bigint;
  /** Private memory whose pages belong in the pages image (vdso, vvar, vsyscall and shared mappings excluded). */
  readonly dumpPages: boolean;
  /** A private file mapping: only its anonymous (copied-on-write) pages are dumped. */
  readonly privateFile: boolean;
  /** CRIU's PE_LAZY rule: private anonymous memory that is not locked. */
  readonly lazy: boolean;
}

interface SmapsArea {
  start: bigint;
  end: bigint;
  perms: string;
  offset: bigint;
  inode: number;
  path: string;
  vmflags: string[];
  /** The size of the pages the kernel maps it with (KernelPageSize): a huge page size for hugetlb. */
  pageSize: number;
}

/**
 * Every VMA of task `pid` from /proc/PID/smaps, in CRIU's vma_entry form: prot, MAP_* flags (with
 * MAP_GROWSDOWN, MAP_LOCKED... from VmFlags), madvise bits, CRIU's status bits, and for file mappings
 * the file's id in files.img and the open mode. `[vvar_vclock]` is folded into the `[vvar]` before it,
 * and a stack VMA gets back the guard page /proc hides, both as CRIU 4.2 writes them. Shared memory
 * (MAP_SHARED anonymous, shown as `/dev/zero (deleted)` or `[anon_shmem:NAME]`, and memfd mappings) is
 * written as CRIU 4.2 writes it on this kernel: a shared file mapping (VMA_FILE_SHARED |
 * VMA_AREA_MEMFD) of a MEMFD file whose inode entry names the object's pages. A deleted file is
 * remapped as an open one is (see @criu-ts/files). SysV shm and device mappings are refused.
 * `ignore` names mappings that are not the task's own (the dumper's scratch pages).
 */
export function collectVmas(pid: number, files: MappedFiles, opts: { ignore?: readonly { start: bigint; end: bigint }[] } = {}): Vma[] {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch (e) {
    return refuse('vmas', pid, `cannot read /proc/${pid}/smaps: ${(e as Error).message}`);
  }
  const out: Vma[] = [];
  let prevEnd = 0n;
  for (const area of parseSmaps(text)) {
    const where = `${area.start.toString(16)}-${area.end.toString(16)} ${area.perms} ${area.path || '(anonymous)'}`;
    const shared = area.perms[3] === 's';
    let prot = 0;
    if (area.perms[0] === 'r') prot |= PROT.READ;
    if (area.perms[1] === 'w') prot |= PROT.WRITE;
    if (area.perms[2] === 'x') prot |= PROT.EXEC;
    let flags: number = shared ? MAP.SHARED : MAP.PRIVATE;
    let madv = 0n;
    for (const f of area.vmflags) {
      if (MAP_BY_VMFLAG[f]) flags |= MAP_BY_VMFLAG[f];
      if (MADV_BY_VMFLAG[f] !== undefined) madv |= 1n << BigInt(MADV_BY_VMFLAG[f]);
      if (f === 'ss') refuse('vmas', pid, `task ${pid} has a shadow stack VMA ${where}: not supported yet`);
      // MAP_DROPPABLE is a mapping type of its own, not a private mapping with a flag (mmap refuses both);
      // as in CRIU its pages are not dumped: the kernel may drop them at any time, and the restored
      // mapping starts as if it had
      if (f === 'dp') flags = (flags & ~MAP.PRIVATE) | MAP.DROPPABLE;
    }
    if (area.path === '[uprobes]') continue;
    // The dumper's own scratch mapping inside the task (MAP_SHARED, so it never merges with a neighbour).
    if (opts.ignore?.some((r) => r.start === area.start && r.end === area.end)) continue;

    let status: number;
    let shmid = 0n;
    let fdflags: number | undefined;
    let start = area.start;
    const path = area.path;
    const anonymous = path === '' || (path.startsWith('[') && !path.startsWith('[anon_shmem:'));
    if (path === '[vsyscall]') {
      status = VMA.AREA_VSYSCALL | VMA.ANON_PRIVATE;
    } else if (path === '[vdso]') {
      status = VMA.AREA_REGULAR | VMA.AREA_VDSO | VMA.ANON_PRIVATE;
    } else if (path === '[vvar]' || path === '[vvar_vclock]') {
      status = VMA.AREA_REGULAR | VMA.AREA_VVAR | VMA.ANON_PRIVATE;
      const prev = out[out.length - 1];
      if (path === '[vvar_vclock]' && prev && (Number(prev.entry.status) & VMA.AREA_VVAR) && prev.end === area.start) {
        out[out.length - 1] = { ...prev, end: area.end, entry: { ...prev.entry, end: area.end } };
        prevEnd = area.end;
        continue;
      }
    } else if (path === '[heap]') {
      status = VMA.AREA_REGULAR | VMA.AREA_HEAP | VMA.ANON_PRIVATE;
    } else if (shared && isSharedMemoryPath(path)) {
      const link = `/proc/${pid}/map_files/${area.start.toString(16)}-${area.end.toString(16)}`;
      shmid = BigInt(files.sharedMemory(pid, link, path));
      status = VMA.AREA_REGULAR | VMA.FILE_SHARED | VMA.AREA_MEMFD;
      // opened read-write or not as the mapping's file was (VM_MAYWRITE, "mw"): a read-only mapping of a
      // memfd sealed with F_SEAL_WRITE may write nothing, and a may-write one would keep the seal off
      fdflags = area.vmflags.includes('mw') ? O_RDWR : O_RDONLY;
    } else if (path === ANON_HUGEPAGE) {
      // private anonymous memory of huge pages: its pages are dumped as any private memory's, and the
      // mapping is made again with MAP_HUGETLB and the page size (the shared kind is a shmem object)
      status = VMA.AREA_REGULAR | VMA.ANON_PRIVATE;
    } else if (!shared && isSharedMemoryPath(path)) {
      // a memfd (or shared anonymous memory, through /proc/PID/map_files) mapped privately: the
      // object is dumped with its pages once, as for its shared mappings; the pages the task has its
      // own copies of are dumped as a private file mapping's
      const link = `/proc/${pid}/map_files/${area.start.toString(16)}-${area.end.toString(16)}`;
      shmid = BigInt(files.sharedMemory(pid, link, path));
      status = VMA.AREA_REGULAR | VMA.FILE_PRIVATE | VMA.AREA_MEMFD;
      fdflags = O_RDONLY;
    } else if (anonymous) {
      if (shared) refuse('vmas', pid, `task ${pid} has MAP_SHARED anonymous memory at ${where}: shared memory cannot be dumped yet`);
      status = VMA.AREA_REGULAR | VMA.ANON_PRIVATE;
    } else {
      if (path.startsWith('/SYSV')) refuse('vmas', pid, `task ${pid} maps SysV shared memory at ${where}: not supported yet`);
      // a deleted file is remapped by files.mapped (a ghost file, or a link remap)
      if (area.inode === 0) refuse('vmas', pid, `task ${pid} has a special mapping at ${where}: not supported yet`);
      const link = `/proc/${pid}/map_files/${area.start.toString(16)}-${area.end.toString(16)}`;
      shmid = BigInt(files.mapped(pid, link, path));
      status = VMA.AREA_REGULAR | (shared ? VMA.FILE_SHARED : VMA.FILE_PRIVATE);
      // a shared mapping of a file opened read-write may become writable (VM_MAYWRITE, "mw") even
      // while it is not: reopened read-write, its mprotect to PROT_WRITE still works
      fdflags = shared && (prot & PROT.WRITE || area.vmflags.includes('mw')) ? O_RDWR : O_RDONLY;
    }
    if (status & VMA.ANON_PRIVATE) flags |= MAP.ANONYMOUS;
    // hugetlb memory names its page size, as CRIU writes it (2 MiB: MAP_HUGE_2MB)
    if (flags & MAP.HUGETLB) flags |= Math.log2(area.pageSize) << HUGE_SHIFT;
    // /proc hides the guard page below a stack since Linux 4.12; CRIU puts it back into the VMA when there is room.
    if (flags & MAP.GROWSDOWN && prevEnd < start) start -= PAGE_SIZE;
    prevEnd = area.end;

    const entry: MessageValue = { start, end: area.end, pgoff: area.offset, shmid, prot, flags, status, fd: -1n };
    if (madv !== 0n) entry.madv = madv;
    if (fdflags !== undefined) entry.fdflags = fdflags;
    const special = (status & (VMA.AREA_VDSO | VMA.AREA_VVAR | VMA.AREA_VSYSCALL)) !== 0;
    out.push({
      entry,
      start,
      end: area.end,
      dumpPages: !shared && !special && !(flags & MAP.DROPPABLE),
      privateFile: (status & VMA.FILE_PRIVATE) !== 0,
      lazy: (status & VMA.ANON_PRIVATE) !== 0 && !special && !(flags & (MAP.LOCKED | MAP.HUGETLB)),
    });
  }
  return out;
}

/** How /proc names anonymous memory of huge pages (MAP_HUGETLB), shared or private. */
const ANON_HUGEPAGE = '/anon_hugepage (deleted)';

/** How /proc names a shmem object: anonymous shared memory (named or not, or of huge pages) or a memfd. */
function isSharedMemoryPath(path: string): boolean {
  return (
    path === '/dev/zero (deleted)' ||
    path === ANON_HUGEPAGE ||
    path.startsWith('[anon_shmem:') ||
    (path.startsWith('/memfd:') && path.endsWith(' (deleted)'))
  );
}

function parseSmaps(text: string): SmapsArea[] {
  const areas: SmapsArea[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) \S+ (\d+)\s*(.*)$/.exec(line);
    if (m) {
      areas.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), perms: m[3], offset: BigInt(`0x${m[4]}`), inode: Number(m[5]), path: m[6], vmflags: [], pageSize: Number(PAGE_SIZE) });
      continue;
    }
    if (areas.length === 0) continue;
    if (line.startsWith('VmFlags:')) areas[areas.length - 1].vmflags = line.slice(8).trim().split(/\s+/);
    const pageSize = /^KernelPageSize:\s+(\d+) kB/.exec(line);
    if (pageSize) areas[areas.length - 1].pageSize = Number(pageSize[1]) * 1024;
  }
  return areas;
}
