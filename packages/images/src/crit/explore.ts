/**
 * `crit-ts x DIR ps|fds|mems|rss`: the views of an images directory that crit's explorers print,
 * line for line.
 */
import type { ImagesDir } from '../images-dir.js';
import type { MessageValue } from '../message-values.js';
import type protobuf from 'protobufjs';
import { quotedPrintable } from '../crit-json/text-encodings.js';
import { messageType } from '../schema/index.js';
import { pyFormat } from './py-format.js';

type Entry = MessageValue & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export type Explorer = 'ps' | 'fds' | 'mems' | 'rss';

export function explore(dir: ImagesDir, what: Explorer): string[] {
  return { ps: explorePs, fds: exploreFds, mems: exploreMems, rss: exploreRss }[what](dir);
}

function entries(dir: ImagesDir, name: string): Entry[] {
  return dir.readOrThrow(name).entries.map((entry) => entry.message as Entry);
}

/** A task's id in its own namespace: `pid`, or the first of `ns_pid` in images with nested pid namespaces. */
function taskId(entry: Entry, key: 'pid' | 'pgid' | 'sid'): number {
  return Number(entry[key] ?? entry[`ns_${key}`][0]);
}

function explorePs(dir: ImagesDir): string[] {
  interface Task {
    pid: number;
    entry: Entry;
    comm: string;
    kids: Task[];
  }
  const tasks = new Map<number, Task>();
  for (const entry of entries(dir, 'pstree.img')) {
    const pid = taskId(entry, 'pid');
    const core = entries(dir, `core-${pid}.img`)[0];
    tasks.set(pid, { pid, entry, comm: String(core.tc.comm), kids: [] });
  }
  let root: Task | undefined;
  for (const task of tasks.values()) {
    const ppid = Number(task.entry.ppid);
    if (ppid === 0) root = task;
    else tasks.get(ppid)?.kids.push(task);
  }
  const lines = [pyFormat('%7s%7s%7s   %s', 'PID', 'PGID', 'SID', 'COMM')];
  const show = (task: Task, depth: number) => {
    lines.push(pyFormat('%7d%7d%7d   %s%s', task.pid, taskId(task.entry, 'pgid'), taskId(task.entry, 'sid'), ' '.repeat(4 * depth), task.comm));
    task.kids.forEach((kid) => show(kid, depth + 1));
  };
  if (root) show(root, 0);
  return lines;
}

/** Names files the way crit's explorers do: a path, pipe[ino], unix[ino (peer) name], or TYPE.id. */
class FileNames {
  private files: Entry[] | undefined;
  private readonly cache = new Map<string, string>();
  private readonly legacy = new Map<string, Entry[]>();

  constructor(private readonly dir: ImagesDir) {}

  name(type: string, id: number): string {
    const key = `${type}/${id}`;
    let name = this.cache.get(key);
    if (name === undefined) {
      name = this.describe(type, id);
      this.cache.set(key, name);
    }
    return name;
  }

  private describe(type: string, id: number): string {
    switch (type) {
      case 'REG': {
        const file = this.find(id, 'reg', 'reg-files.img');
        return (file?.name as string) || 'unknown path';
      }
      case 'PIPE': {
        const pipe = this.find(id, 'pipe', 'pipes.img');
        return pipe ? `pipe[${pipe.pipe_id}]` : 'pipe[?]';
      }
      case 'UNIXSK': {
        const socket = this.find(id, 'usk', 'unixsk.img');
        if (!socket) return 'unix[?]';
        const name = socket.name instanceof Uint8Array ? quotedPrintable(socket.name) : '';
        return `unix[${socket.ino} (${socket.peer})${name ? ' ' + name : ''}]`;
      }
      default:
        return `${type}.${id}`;
    }
  }

  /** The file's own entry, from files.img or, in older images, from its per-kind image. */
  private find(id: number, field: string, legacyImage: string): Entry | undefined {
    if (this.files === undefined) {
      this.files = this.dir.has('files.img') ? entries(this.dir, 'files.img') : [];
    }
    if (this.files.length > 0) {
      const file = this.files.find((f) => Number(f.id) === id);
      if (file) return file[field] as Entry | undefined;
    }
    let list = this.legacy.get(legacyImage);
    if (!list) {
      list = entries(this.dir, legacyImage);
      this.legacy.set(legacyImage, list);
    }
    return list.find((f) => Number(f.id) === id);
  }
}

function exploreFds(dir: ImagesDir): string[] {
  const names = new FileNames(dir);
  const lines: string[] = [];
  for (const task of entries(dir, 'pstree.img')) {
    const pid = taskId(task, 'pid');
    const filesId = Number(entries(dir, `ids-${pid}.img`)[0].files_id);
    lines.push(String(pid));
    for (const fd of entries(dir, `fdinfo-${filesId}.img`)) {
      lines.push(pyFormat('\t%7d: %s', fd.fd, names.name(fdTypeName(fd.type), Number(fd.id))));
    }
    const fs = entries(dir, `fs-${pid}.img`)[0];
    lines.push(pyFormat('\t%7s: %s', 'cwd', names.name('REG', Number(fs.cwd_id))));
    lines.push(pyFormat('\t%7s: %s', 'root', names.name('REG', Number(fs.root_id))));
  }
  return lines;
}

/** fdinfo's `type` as crit's JSON names it. */
function fdTypeName(type: number): string {
  const fdTypes = messageType('fdinfo_entry').fields.type.resolvedType as protobuf.Enum;
  return fdTypes.valuesById[type] ?? String(type);
}

const VMA_AREA_REGULAR = 1 << 0;
const VMA_AREA_STACK = 1 << 1;
const VMA_AREA_VSYSCALL = 1 << 2;
const VMA_AREA_VDSO = 1 << 3;
const VMA_FILE_PRIVATE = 1 << 6;
const VMA_FILE_SHARED = 1 << 7;
const VMA_ANON_SHARED = 1 << 8;
const VMA_AREA_SYSVIPC = 1 << 10;
const VMA_AREA_SOCKET = 1 << 11;
const MAP_GROWSDOWN = 0x100;

function exploreMems(dir: ImagesDir): string[] {
  const names = new FileNames(dir);
  const shmemIds = new Map<string, number>();
  const shmemId = (shmid: unknown) => {
    const key = String(shmid);
    if (!shmemIds.has(key)) shmemIds.set(key, shmemIds.size + 1);
    return shmemIds.get(key)!;
  };
  const lines: string[] = [];
  for (const task of entries(dir, 'pstree.img')) {
    const pid = taskId(task, 'pid');
    const mm = entries(dir, `mm-${pid}.img`)[0];
    lines.push(String(pid));
    lines.push(pyFormat('\t%-36s    %s', 'exe', names.name('REG', Number(mm.exe_file_id))));
    for (const vma of (mm.vmas ?? []) as Entry[]) {
      const status = Number(vma.status);
      let what: string;
      if (status & VMA_AREA_SYSVIPC) what = pyFormat(' ips[%x]', shmemId(vma.shmid));
      else if (status & VMA_ANON_SHARED) what = pyFormat(' shmem[%x]', shmemId(vma.shmid));
      else if (status & VMA_AREA_SOCKET) what = pyFormat(' packet[%x]', shmemId(vma.shmid));
      else if (status & (VMA_FILE_PRIVATE | VMA_FILE_SHARED)) {
        what = ' ' + names.name('REG', Number(vma.shmid));
        if (BigInt(vma.pgoff) !== 0n) what += pyFormat(' + %#x', vma.pgoff);
        if (status & VMA_FILE_SHARED) what += ' (s)';
      } else if (status & VMA_AREA_STACK) what = ' [stack]';
      else if (status & VMA_AREA_VSYSCALL) what = ' [vsyscall]';
      else if (status & VMA_AREA_VDSO) what = ' [vdso]';
      else if (Number(vma.flags) & MAP_GROWSDOWN) what = ' [stack?]';
      else what = '';
      if (!(status & VMA_AREA_REGULAR)) what += ' *';
      const prot = Number(vma.prot);
      const perms = (prot & 1 ? 'r' : '-') + (prot & 2 ? 'w' : '-') + (prot & 4 ? 'x' : '-');
      lines.push(pyFormat('\t%-36s%s%s', pyFormat('%08x-%08x', vma.start, vma.end), perms, what));
    }
  }
  return lines;
}

function exploreRss(dir: ImagesDir): string[] {
  const names = new FileNames(dir);
  const lines: string[] = [];
  for (const task of entries(dir, 'pstree.img')) {
    const pid = taskId(task, 'pid');
    const vmas = (entries(dir, `mm-${pid}.img`)[0].vmas ?? []) as Entry[];
    const pagemap = entries(dir, `pagemap-${pid}.img`).slice(1);
    lines.push(String(pid));
    let vmi = 0;
    let shown = -1;
    for (const range of pagemap) {
      const vaddr = BigInt(range.vaddr);
      const nrPages = Number(range.nr_pages ?? range.compat_nr_pages);
      const head = pyFormat('\t%x / %-8d', vaddr, nrPages);
      while (vmi < vmas.length && BigInt(vmas[vmi].end) <= vaddr) vmi++;
      const end = vaddr + (BigInt(nrPages) << 12n);
      let tail = '';
      while (vmi < vmas.length && BigInt(vmas[vmi].start) < end) {
        const vma = vmas[vmi];
        if (vmi === shown) tail += ' ~';
        else {
          tail += pyFormat(' %08x / %-8d', vma.start, Number((BigInt(vma.end) - BigInt(vma.start)) >> 12n));
          if (Number(vma.status) & (VMA_FILE_PRIVATE | VMA_FILE_SHARED)) tail += ' ' + names.name('REG', Number(vma.shmid));
          shown = vmi;
        }
        tail += pyFormat('\n\t%23s', '');
        vmi++;
      }
      vmi--;
      lines.push(pyFormat('%-24s%s', head, tail));
    }
  }
  return lines;
}
