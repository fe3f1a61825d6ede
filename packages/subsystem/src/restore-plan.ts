/**
 * Everything a restore needs, read and checked before any process is created: a corrupt, truncated
 * or missing image stops the restore here, with nothing to undo.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type Image, ImagesDir, type MessageValue, PAGE_SIZE, type PageRange } from '@criu-ts/images';
import { RestoreFault } from './restore-error.js';

/** What pipes-data.img keeps of one pipe. */
/** CRIU's task_state of a zombie in its core. */
const TASK_DEAD = 2;

export interface PipeQueue {
  readonly data: Uint8Array;
  /** Its capacity (F_GETPIPE_SZ), when recorded. */
  readonly size?: number;
}

export interface TaskPlan {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
  /** The main thread first. */
  readonly threads: readonly number[];
  /** core_entry of each thread, by tid. */
  readonly cores: ReadonlyMap<number, MessageValue>;
  readonly ids: MessageValue;
  readonly mm: MessageValue;
  readonly pagesFile: string;
  readonly pageRanges: readonly PageRange[];
  readonly fds: readonly MessageValue[];
  readonly fs: MessageValue;
  /** A zombie: nothing of it but its core; it is made to die again, with this waitpid status. */
  readonly zombie?: number;
}

/** A shared memory object (MAP_SHARED anonymous memory or a memfd), by CRIU's shmid. */
export interface ShmemPlan {
  readonly shmid: number;
  readonly size: bigint;
  /** What memfd.img keeps of its inode (absent for CRIU's older VMA_ANON_SHARED objects). */
  readonly inode?: ShmemInode;
  /** Where its pages are (absent when none was dumped). */
  readonly pagesFile?: string;
  readonly ranges: readonly PageRange[];
}

/** A memfd_inode_entry: the name memfd_create got, owner, mode and seals. */
export interface ShmemInode {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly mode?: number;
  readonly seals: number;
  /** MFD_HUGETLB and the page size bits, for a memfd on hugetlbfs. */
  readonly hugetlbFlag?: number;
}

export interface RestorePlan {
  readonly imagesDir: string;
  /** inventory.img's entry. */
  readonly inventory: MessageValue;
  /** Parents before children. */
  readonly tasks: readonly TaskPlan[];
  /** file_entry by id. */
  readonly files: ReadonlyMap<number, MessageValue>;
  /** Unread pipe bytes and the pipe's capacity by pipe id (the pipe's inode at dump time). */
  readonly pipeData: ReadonlyMap<number, PipeQueue>;
  /** Shared memory objects by shmid. */
  readonly shmem: ReadonlyMap<number, ShmemPlan>;
  /** The shmid behind each MEMFD entry of files.img, by file id (memfd.img's inodes). */
  readonly memfdShmid: ReadonlyMap<number, number>;
}

const VMA_ANON_SHARED = 1 << 8;
const VMA_AREA_MEMFD = 1 << 14;

/** The shmid of the object a VMA maps, if it maps one: a MEMFD file's inode (CRIU 4.x), or shmid itself (VMA_ANON_SHARED). */
export function shmidOfVma(restore: RestorePlan, vma: MessageValue): number | undefined {
  const status = Number(vma.status);
  if (status & VMA_AREA_MEMFD) return restore.memfdShmid.get(Number(vma.shmid));
  if (status & VMA_ANON_SHARED) return Number(vma.shmid);
  return undefined;
}

export function readRestorePlan(imagesDir: string): RestorePlan {
  const opened = ImagesDir.open(imagesDir);
  if (opened._tag === 'Left') throw new RestoreFault('images', `images directory ${imagesDir}: ${opened.left.message}`);
  const dir = opened.right;
  const read = (name: string): Image => {
    if (!dir.has(name)) throw new RestoreFault('images', `${join(imagesDir, name)} is missing`);
    const image = dir.read(name);
    if (image._tag === 'Left') throw new RestoreFault('images', image.left.message);
    return image.right;
  };
  const single = (name: string): MessageValue => {
    const image = read(name);
    if (image.entries.length !== 1) throw new RestoreFault('images', `${name}: expected one entry, found ${image.entries.length}`);
    return image.entries[0].message;
  };

  const inventory = single('inventory.img');
  if (Number(inventory.img_version) !== 2) throw new RestoreFault('images', `inventory.img: image version ${inventory.img_version} is not supported`);

  const files = new Map<number, MessageValue>();
  if (dir.has('files.img')) for (const { message } of read('files.img').entries) files.set(Number(message.id), message);
  const pipeData = new Map<number, PipeQueue>();
  if (dir.has('pipes-data.img')) {
    for (const { message, payload } of read('pipes-data.img').entries) {
      pipeData.set(Number(message.pipe_id), { data: payload as Uint8Array, size: message.size === undefined ? undefined : Number(message.size) });
    }
  }

  const tasks = read('pstree.img').entries.map(({ message: p }): TaskPlan => {
    const pid = Number(p.pid);
    const threads = ((p.threads as number[] | undefined) ?? [pid]).map(Number);
    if (threads[0] !== pid) throw new RestoreFault('images', `pstree.img: task ${pid} does not list itself as its first thread`, pid);
    const leader = single(`core-${pid}.img`);
    if (Number((leader.tc as MessageValue | undefined)?.task_state) === TASK_DEAD) {
      const status = Number((leader.tc as MessageValue).exit_code ?? 0);
      return { pid, ppid: Number(p.ppid), pgid: Number(p.pgid), sid: Number(p.sid), threads: [pid], cores: new Map([[pid, leader]]), ids: {}, mm: {}, pagesFile: '', pageRanges: [], fds: [], fs: {}, zombie: status };
    }
    const cores = new Map(threads.map((tid) => [tid, single(`core-${tid}.img`)]));
    const ids = single(`ids-${pid}.img`);
    const mm = single(`mm-${pid}.img`);
    const pagemap = dir.pagemap(`pagemap-${pid}.img`);
    if (pagemap._tag === 'Left') throw new RestoreFault('images', pagemap.left.message, pid);
    checkPagesFile(imagesDir, pagemap.right.pagesFile, pagemap.right.ranges, `pagemap-${pid}.img`, pid);
    const fds = read(`fdinfo-${Number(ids.files_id)}.img`).entries.map((e) => e.message);
    for (const fd of fds) {
      if (!files.has(Number(fd.id))) throw new RestoreFault('images', `fdinfo-${ids.files_id}.img: fd ${fd.fd} names file ${fd.id}, which files.img lacks`, pid);
    }
    return {
      pid,
      ppid: Number(p.ppid),
      pgid: Number(p.pgid),
      sid: Number(p.sid),
      threads,
      cores,
      ids,
      mm,
      pagesFile: pagemap.right.pagesFile,
      pageRanges: pagemap.right.ranges,
      fds,
      fs: single(`fs-${pid}.img`),
    };
  });
  if (tasks.length === 0) throw new RestoreFault('images', 'pstree.img has no task');
  const { shmem, memfdShmid } = readShmem(imagesDir, dir, tasks, files, dir.has('memfd.img') ? read('memfd.img').entries.map((e) => e.message) : []);
  return { imagesDir, inventory, tasks, files, pipeData, shmem, memfdShmid };
}

/**
 * The shared memory objects the VMAs name, with their size (memfd.img's, or for a VMA_ANON_SHARED
 * object the end of its furthest mapping) and the pages pagemap-shmem-<shmid>.img lists.
 */
function readShmem(imagesDir: string, dir: ImagesDir, tasks: readonly TaskPlan[], files: ReadonlyMap<number, MessageValue>, inodes: readonly MessageValue[]) {
  const byInode = new Map(inodes.map((inode) => [Number(inode.inode_id), inode]));
  const memfdShmid = new Map<number, number>();
  const sizes = new Map<number, bigint>();
  const inodeOf = new Map<number, ShmemInode>();
  for (const [id, file] of files) {
    const memfd = file.memfd as MessageValue | undefined;
    if (!memfd) continue;
    const inode = byInode.get(Number(memfd.inode_id));
    if (!inode) throw new RestoreFault('images', `files.img: memfd ${id} names inode ${memfd.inode_id}, which memfd.img lacks`);
    memfdShmid.set(id, Number(inode.shmid));
    sizes.set(Number(inode.shmid), BigInt(inode.size as bigint));
    inodeOf.set(Number(inode.shmid), {
      name: String(inode.name),
      uid: Number(inode.uid),
      gid: Number(inode.gid),
      mode: inode.mode === undefined ? undefined : Number(inode.mode),
      seals: Number(inode.seals),
      hugetlbFlag: inode.hugetlb_flag === undefined ? undefined : Number(inode.hugetlb_flag),
    });
  }
  const partial: RestorePlan = { imagesDir, inventory: {}, tasks, files, pipeData: new Map(), shmem: new Map(), memfdShmid };
  for (const task of tasks) {
    for (const vma of (task.mm.vmas ?? []) as MessageValue[]) {
      const status = Number(vma.status);
      if (!(status & (VMA_ANON_SHARED | VMA_AREA_MEMFD))) continue;
      const shmid = shmidOfVma(partial, vma);
      if (shmid === undefined) throw new RestoreFault('images', `mm-${task.pid}.img: a shared memory VMA names memfd ${vma.shmid}, which files.img lacks`, task.pid);
      if (status & VMA_AREA_MEMFD) continue;
      const end = BigInt(vma.pgoff as bigint) + BigInt(vma.end as bigint) - BigInt(vma.start as bigint);
      if (end > (sizes.get(shmid) ?? 0n)) sizes.set(shmid, end);
    }
  }
  const shmem = new Map<number, ShmemPlan>();
  for (const [shmid, size] of sizes) {
    const name = `pagemap-shmem-${shmid}.img`;
    if (!dir.has(name)) {
      shmem.set(shmid, { shmid, size, inode: inodeOf.get(shmid), ranges: [] });
      continue;
    }
    const pagemap = dir.pagemap(name);
    if (pagemap._tag === 'Left') throw new RestoreFault('images', pagemap.left.message);
    checkPagesFile(imagesDir, pagemap.right.pagesFile, pagemap.right.ranges, name);
    shmem.set(shmid, { shmid, size, inode: inodeOf.get(shmid), pagesFile: pagemap.right.pagesFile, ranges: pagemap.right.ranges });
  }
  return { shmem, memfdShmid };
}

function checkPagesFile(imagesDir: string, pagesFile: string, ranges: readonly PageRange[], pagemapName: string, pid?: number): void {
  const needed = ranges.reduce((end, r) => (r.pagesOffset === undefined ? end : Math.max(end, r.pagesOffset + r.nrPages * PAGE_SIZE)), 0);
  if (needed === 0) return;
  let size = -1;
  try {
    size = statSync(join(imagesDir, pagesFile)).size;
  } catch {
    throw new RestoreFault('images', `${join(imagesDir, pagesFile)} is missing`, pid);
  }
  if (size < needed) throw new RestoreFault('images', `${pagesFile} holds ${size} bytes, ${pagemapName} needs ${needed}`, pid);
}
