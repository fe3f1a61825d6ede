import { readdirSync, readFileSync, readlinkSync, statSync, type BigIntStats } from 'node:fs';
import type { MessageValue } from '@criu-ts/images';
import { hostArch, sys } from '@criu-ts/ptrace';
import { type DumpRemote, refuse } from '@criu-ts/subsystem';
import { classifyFd } from './classify.js';
import type { FdDumper, KindImage, MemfdInodes } from './fd-dumper.js';
import { DeletedFiles } from './deleted-files.js';
import { FileTable } from './file-table.js';
import type { FilesDumpOptions } from './files-dump-options.js';
import { fdDumpers } from './kinds/index.js';
import { readOpenFd } from './open-fd.js';

const FD_CLOEXEC = 1;
const KCMP_FILE = 0;

/** One open file description already in files.img, and one fd that holds it (for kcmp). */
interface Known {
  readonly pid: number;
  readonly fd: number;
  readonly key: string;
  readonly id: number;
}

/**
 * The files of a whole tree: files.img entries shared by every task, each task's fdinfo, fs and exe,
 * and what the fd kinds keep in images of their own. An fd that shares its open file description with one seen
 * before (dup, fork) gets the same id, checked with kcmp(KCMP_FILE) run by the task itself.
 */
export class TreeFiles {
  readonly table = new FileTable();
  /** Open file descriptions seen so far, by key. */
  private readonly known = new Map<string, Known[]>();
  private readonly kinds: FdDumper[];
  /** Deleted files, whether open or mapped: one remap each. */
  private readonly deleted: DeletedFiles;
  private readonly tasks?: ReadonlySet<number>;
  private shmem?: MemfdInodes;

  /** `tree` names the processes being dumped, which a pidfd may point at. */
  constructor(
    private readonly options: FilesDumpOptions = {},
    tree?: { readonly tasks: readonly { readonly pid: number }[] },
  ) {
    this.deleted = new DeletedFiles(options);
    this.kinds = fdDumpers(options, this.deleted);
    if (tree) this.tasks = new Set(tree.tasks.map((t) => t.pid));
  }

  /** Memfds are dumped as the shared memory objects they are, with the tree's mappings of them. */
  shareMemoryWith(shmem: MemfdInodes): void {
    this.shmem = shmem;
  }

  /** The REG id of the task's executable (the exe_file_id of its mm). */
  exe(pid: number): number {
    return this.mapped(pid, `/proc/${pid}/exe`, readlinkSync(`/proc/${pid}/exe`));
  }

  /**
   * The REG id of a file known by a /proc link to it (map_files entry, exe): one per (dev, inode,
   * name). A deleted one is remapped as an open one would be (a ghost file, or a link remap).
   */
  mapped(pid: number, link: string, name: string): number {
    let st: BigIntStats;
    try {
      st = statSync(link, { bigint: true });
    } catch (e) {
      return refuse('files', pid, `cannot stat ${link} (${name}): ${(e as Error).message}`);
    }
    const gone = this.deleted.find(pid, `the mapping of ${name}`, name, st);
    const key = `${st.dev}:${st.ino}:${name}`;
    const known = this.table.mappedId(key);
    if (known !== undefined) return known;
    const id = this.table.mappedFile(key, gone?.path ?? name, { mode: Number(st.mode), size: st.size, isFile: st.isFile() });
    if (gone) this.deleted.remap(id, gone, pid, link, st, this.table);
    return id;
  }

  /**
   * fdinfo-<files_id>.img entries of task `pid`: every fd with its file id, type and close-on-exec
   * flag. Every fd is classified before any is dumped, so a refusal comes before remote work.
   */
  fds(pid: number, remote: DumpRemote): MessageValue[] {
    let numbers: number[];
    try {
      numbers = readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
    } catch (e) {
      return refuse('fds', pid, `cannot list /proc/${pid}/fd: ${(e as Error).message}`);
    }
    const fds = numbers.map((fd) => readOpenFd(pid, fd));
    const kinds = fds.map((fd) => classifyFd(fd, this.kinds));
    const context = { remote, table: this.table, options: this.options, shmem: this.shmem, tasks: this.tasks };
    return fds.map((fd, i) => {
      const kind = kinds[i];
      const key = kind.key(fd);
      const id = this.shared(pid, fd.fd, key) ?? this.remember(pid, fd.fd, key, this.table.add(kind.type, kind.field, (id) => kind.entry(fd, id, context)));
      return { id, flags: fd.cloexec ? FD_CLOEXEC : 0, type: kind.type, fd: fd.fd };
    });
  }

  /** fs-PID.img: cwd and root as REG entries (a deleted one as a ghost directory), and the umask. */
  fs(pid: number): MessageValue {
    const cwd = this.directory(pid, 'cwd', 'working directory');
    const root = this.directory(pid, 'root', 'root directory');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const umask = /^Umask:\s*([0-7]+)/m.exec(status);
    const entry: MessageValue = { cwd_id: cwd, root_id: root };
    if (umask) entry.umask = parseInt(umask[1], 8);
    return entry;
  }

  /** The REG id of the task's cwd or root (`link`); one removed since is remapped as a deleted open file is. */
  private directory(pid: number, link: 'cwd' | 'root', what: string): number {
    const proc = `/proc/${pid}/${link}`;
    let st: BigIntStats;
    try {
      st = statSync(proc, { bigint: true });
    } catch (e) {
      return refuse('fs', pid, `cannot stat ${proc}: ${(e as Error).message}`);
    }
    const target = readlinkSync(proc);
    const gone = this.deleted.find(pid, `the ${what}`, target, st);
    const id = this.table.addPath(gone?.path ?? target, { mode: Number(st.mode), size: st.size, isFile: st.isFile() });
    if (gone) this.deleted.remap(id, gone, pid, proc, st, this.table);
    return id;
  }

  /** files.img and the images of the fd kinds (pipes-data.img...): call once every task is dumped. */
  images(): KindImage[] {
    const files = { name: 'files.img', magic: 'FILES', entries: this.table.list().map((message) => ({ message, type: 'file_entry' })) };
    return [files, ...this.kinds.flatMap((kind) => kind.images?.() ?? [])];
  }

  /** Just before the tree is killed or left (see FdDumper.verify): what was read still holds. */
  verify(): void {
    for (const kind of this.kinds) kind.verify?.();
  }

  /**
   * The dump ends (see FdDumper.end): `killed` once the tree was killed after a dump that
   * succeeded. What could not be undone, if anything (the network lock left in place).
   */
  end(killed: boolean): string[] {
    return this.kinds.flatMap((kind) => kind.end?.(killed) ?? []);
  }

  private remember(pid: number, fd: number, key: string, id: number): number {
    const same = this.known.get(key);
    if (same) same.push({ pid, fd, key, id });
    else this.known.set(key, [{ pid, fd, key, id }]);
    return id;
  }

  /**
   * The id of an open file description seen before that fd `fd` of `pid` shares, if any: kcmp, run
   * here (as the tracer we may compare the tasks' files), among those with the same key.
   */
  private shared(pid: number, fd: number, key: string): number | undefined {
    for (const k of this.known.get(key) ?? []) {
      if (sys(hostArch().syscalls.kcmp, pid, k.pid, KCMP_FILE, fd, k.fd) === 0) return k.id;
    }
    return undefined;
  }
}

