import { closeSync, fstatSync, openSync, readdirSync, readSync, writeSync, fsyncSync, statSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import type { MessageValue } from '@criu-ts/images';
import { addressOf, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { refuse } from '@criu-ts/subsystem';

const PAGE_SIZE = 4096;
const PE_PRESENT = 1 << 2;
const NR_CLOSE = 3;
const NR_LSEEK = 8;
const NR_FCNTL = 72;
const NR_MEMFD_CREATE = 319;
const SEEK_DATA = 3;
const SEEK_HOLE = 4;
const ENXIO = 6;
const F_GET_SEALS = 1034;
const F_SEAL_SEAL = 1;
const MFD_CLOEXEC = 1;
const MFD_HUGETLB = 4;
/** memfd_create takes the huge page size as its log2 in these bits (MFD_HUGE_SHIFT). */
const HUGE_SHIFT = 26;

/** One shmem object of the tree: MAP_SHARED anonymous memory or a memfd, mapped by one task or more. */
export interface ShmemObject {
  /** Its inode number, CRIU's shmid: it names pagemap-shmem-<shmid>.img. */
  readonly shmid: number;
  /** Its memfd_inode_entry id. */
  readonly inodeId: number;
  /** The MEMFD entry of files.img that its VMAs name, made when a VMA first maps it. */
  fileId?: number;
  readonly size: bigint;
  readonly entry: MessageValue;
  /** A /proc/PID/map_files link to it, for reading its pages. */
  readonly link: string;
  readonly pid: number;
}

export interface ShmemPagesResult {
  /** Images to write: pagemap-shmem-<shmid>.img (pagemap head and ranges; offsets in the object as vaddr). */
  readonly images: { name: string; entries: MessageValue[] }[];
  /** pages-<id>.img files written. */
  readonly pagesFiles: string[];
  readonly pagesScanned: number;
  readonly pagesWritten: number;
}

/**
 * The tree's shared memory objects, each once however many VMAs and tasks map it or hold it open as a
 * memfd (keyed by device and inode of the object behind /proc/PID/map_files or /proc/PID/fd). Their
 * pages are read once, from the object itself: the link opens the shmem file, whose
 * SEEK_DATA/SEEK_HOLE extents are the pages it holds (in memory or in swap), whichever task wrote
 * them and wherever it maps them.
 */
export class SharedMemory {
  private readonly objects = new Map<string, ShmemObject>();
  private shmDev: bigint | undefined;
  /** The internal hugetlbfs mounts, one per huge page size: device to memfd_create's MFD_HUGETLB flags. */
  private hugetlbDevs: Map<bigint, number> | undefined;

  /** `addFile(inodeId, flags)` adds a MEMFD entry of files.img for an object its VMAs name, and returns its id. */
  constructor(private readonly addFile: (inodeId: number, flags: number) => number) {}

  /** The MEMFD file id of the object mapped at `link` (a VMA's shmid). */
  sharedMemory(pid: number, link: string, name: string): number {
    const object = this.object(pid, link, name, 'vmas', `task ${pid} maps ${name} shared, which is not a shmem object: not supported yet`);
    object.fileId ??= this.addFile(object.inodeId, O_RDWR);
    return object.fileId;
  }

  /**
   * The memfd.img inode id of the memfd a task holds open at `link` (/proc/PID/fd/N): the same object
   * as its mappings, if it has any, so its pages are dumped once and it comes back as one object.
   */
  memfdInode(pid: number, link: string, name: string): number {
    return this.object(pid, link, name, 'fds', `${link} of task ${pid} is ${name}, which is not a shmem or hugetlb object: not supported yet`).inodeId;
  }

  /** The object behind `link`, registered on first sight (keyed by device and inode). */
  private object(pid: number, link: string, name: string, step: string, notShmem: string): ShmemObject {
    let st: BigIntStats;
    try {
      st = statSync(link, { bigint: true });
    } catch (e) {
      return refuse(step, pid, `cannot stat ${link} (${name}): ${(e as Error).message}`);
    }
    const hugetlbFlag = st.dev === this.shmemDevice() ? undefined : this.hugetlbDevices().get(st.dev);
    if (st.dev !== this.shmemDevice() && hugetlbFlag === undefined) refuse(step, pid, notShmem);
    const key = `${st.dev}:${st.ino}`;
    const known = this.objects.get(key);
    if (known) return known;
    const inodeId = this.objects.size + 1;
    const entry: MessageValue = {
      name: inodeName(name),
      uid: Number(st.uid),
      gid: Number(st.gid),
      size: st.size,
      shmid: Number(st.ino),
      seals: seals(link),
      inode_id: BigInt(inodeId),
      mode: Number(st.mode),
    };
    // memory of huge pages (MAP_HUGETLB, MFD_HUGETLB) comes back as a memfd of the same page size
    if (hugetlbFlag !== undefined) entry.hugetlb_flag = hugetlbFlag;
    const object: ShmemObject = { shmid: Number(st.ino), inodeId, size: st.size, entry, link, pid };
    this.objects.set(key, object);
    return object;
  }

  /** memfd.img entries (memfd_inode_entry), in id order. */
  inodeEntries(): MessageValue[] {
    return [...this.objects.values()].map((o) => o.entry);
  }

  get size(): number {
    return this.objects.size;
  }

  /**
   * Copies each object's pages into `<dir>/pages-<id>.img` (ids from `firstPagesId` on) and returns the
   * pagemap-shmem images that index them. Call while the tree is frozen.
   */
  dumpPages(dir: string, firstPagesId: number, chunkSize = 4 << 20): ShmemPagesResult {
    const images: { name: string; entries: MessageValue[] }[] = [];
    const pagesFiles: string[] = [];
    let pagesScanned = 0;
    let pagesWritten = 0;
    [...this.objects.values()].forEach((object, index) => {
      const pagesId = firstPagesId + index;
      const pagesFile = `pages-${pagesId}.img`;
      let source: number;
      try {
        source = openSync(object.link, 'r');
      } catch (e) {
        return refuse('pages', object.pid, `cannot open the shared memory at ${object.link}: ${(e as Error).message}`);
      }
      const out = openSync(join(dir, pagesFile), 'w');
      const pagemap: MessageValue[] = [{ pages_id: pagesId }];
      try {
        const size = Number(fstatSync(source, { bigint: true }).size);
        pagesScanned += Math.ceil(size / PAGE_SIZE);
        const buf = Buffer.allocUnsafe(chunkSize);
        for (const [start, end] of dataExtents(source, size, object.pid)) {
          pagemap.push({ vaddr: BigInt(start), compat_nr_pages: 0, flags: PE_PRESENT, nr_pages: BigInt((end - start) / PAGE_SIZE) });
          // the last page of an object whose size is not a whole number of pages is read up to the
          // size and written whole, its tail zero (as a mapping of it shows it)
          const dataEnd = Math.min(end, size);
          for (let off = start; off < dataEnd; ) {
            const n = readSync(source, buf, 0, Math.min(chunkSize, dataEnd - off), off);
            if (n <= 0) refuse('pages', object.pid, `the shared memory at ${object.link} ends at ${off}, before ${dataEnd}`);
            for (let done = 0; done < n; ) done += writeSync(out, buf, done, n - done);
            off += n;
          }
          const tail = Buffer.alloc(end - dataEnd);
          for (let done = 0; done < tail.length; ) done += writeSync(out, tail, done, tail.length - done);
          pagesWritten += (end - start) / PAGE_SIZE;
        }
        fsyncSync(out);
      } finally {
        closeSync(out);
        closeSync(source);
      }
      images.push({ name: `pagemap-shmem-${object.shmid}.img`, entries: pagemap });
      pagesFiles.push(pagesFile);
    });
    return { images, pagesFiles, pagesScanned, pagesWritten };
  }

  /** The device of the kernel's internal shmem mount, which every MAP_SHARED anonymous object and memfd lives on. */
  private shmemDevice(): bigint {
    if (this.shmDev === undefined) {
      this.shmDev = memfdDevice(MFD_CLOEXEC);
      if (this.shmDev === undefined) refuse('vmas', undefined, 'memfd_create failed: shared memory cannot be dumped');
    }
    return this.shmDev;
  }

  /**
   * The devices of the kernel's internal hugetlbfs mounts, on which MAP_SHARED anonymous memory of
   * huge pages and MFD_HUGETLB memfds live: one per huge page size this kernel offers.
   */
  private hugetlbDevices(): Map<bigint, number> {
    if (this.hugetlbDevs === undefined) {
      this.hugetlbDevs = new Map();
      for (const size of hugePageSizes()) {
        const flags = MFD_HUGETLB | (Math.log2(size) << HUGE_SHIFT);
        const dev = memfdDevice(MFD_CLOEXEC | flags);
        if (dev !== undefined) this.hugetlbDevs.set(dev, flags);
      }
    }
    return this.hugetlbDevs;
  }
}

/** The device of a memfd made with `flags`, or undefined if the kernel makes none. */
function memfdDevice(flags: number): bigint | undefined {
  const name = kbuf(16);
  name.write('criu-ts-probe');
  const fd = sys(NR_MEMFD_CREATE, addressOf(name), flags);
  keepAlive(name);
  if (fd < 0) return undefined;
  try {
    return fstatSync(fd, { bigint: true }).dev;
  } finally {
    sys(NR_CLOSE, fd);
  }
}

/** The huge page sizes in bytes, from /sys/kernel/mm/hugepages/hugepages-<N>kB. */
function hugePageSizes(): number[] {
  try {
    return readdirSync('/sys/kernel/mm/hugepages').flatMap((entry) => {
      const m = /^hugepages-(\d+)kB$/.exec(entry);
      return m ? [Number(m[1]) * 1024] : [];
    });
  } catch {
    return [];
  }
}

const O_RDWR = 2;

/** Page-aligned [start, end) byte ranges of the object that hold data. */
function dataExtents(fd: number, size: number, pid: number): [number, number][] {
  const out: [number, number][] = [];
  let at = 0;
  while (at < size) {
    const data = sys(NR_LSEEK, fd, at, SEEK_DATA);
    if (data === -ENXIO) break;
    if (data < 0) refuse('pages', pid, `lseek(SEEK_DATA) on shared memory: errno ${-data}`);
    const hole = sys(NR_LSEEK, fd, data, SEEK_HOLE);
    if (hole < 0) refuse('pages', pid, `lseek(SEEK_HOLE) on shared memory: errno ${-hole}`);
    const start = Math.floor(data / PAGE_SIZE) * PAGE_SIZE;
    const end = Math.min(Math.ceil(hole / PAGE_SIZE) * PAGE_SIZE, Math.ceil(size / PAGE_SIZE) * PAGE_SIZE);
    if (end <= start) break;
    out.push([start, end]);
    at = end;
  }
  return out;
}

/** The object's name as CRIU writes it: `/dev/zero` for anonymous memory, the name given to memfd_create for a memfd. */
function inodeName(path: string): string {
  const name = path.endsWith(' (deleted)') ? path.slice(0, -' (deleted)'.length) : path;
  return name.startsWith('/memfd:') ? name.slice('/memfd:'.length) : name;
}

/** The object's seals; anonymous shared memory has none to change (F_SEAL_SEAL, as CRIU records it). */
function seals(link: string): number {
  let fd: number;
  try {
    fd = openSync(link, 'r');
  } catch {
    return F_SEAL_SEAL;
  }
  try {
    const r = sys(NR_FCNTL, fd, F_GET_SEALS);
    return r < 0 ? F_SEAL_SEAL : r;
  } finally {
    closeSync(fd);
  }
}
