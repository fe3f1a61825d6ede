import type { ImageEntry, MessageValue } from '@criu-ts/images';
import type { DumpRemote } from '@criu-ts/subsystem';
import type { FileTable } from './file-table.js';
import type { FilesDumpOptions } from './files-dump-options.js';
import type { OpenFd } from './open-fd.js';

/** What a kind's dump half may use besides the fd itself. */
export interface FdDumpContext {
  readonly remote: DumpRemote;
  /** files.img, for kinds that add entries of their own (a FIFO's path is a REG entry). */
  readonly table: FileTable;
  readonly options: FilesDumpOptions;
  /** The tree's shared memory objects, which memfds are part of (absent: memfds are refused). */
  readonly shmem?: MemfdInodes;
  /** The pids of the processes being dumped (absent: pidfds are refused). */
  readonly tasks?: ReadonlySet<number>;
}

/**
 * The tree's shared memory objects (@criu-ts/mem's SharedMemory): a memfd is dumped as one of them,
 * once per inode, whether the tree holds it open, maps it, or both.
 */
export interface MemfdInodes {
  /** The memfd.img inode id of the memfd task `pid` holds open at `link` (/proc/PID/fd/N), named `name` there. */
  memfdInode(pid: number, link: string, name: string): number;
}

/** An image a kind writes besides its files.img entries (pipes-data.img, fifo-data.img...). */
export interface KindImage {
  readonly name: string;
  readonly magic: string;
  readonly entries: readonly ImageEntry[];
}

/**
 * The dump half of one fd kind. Every fd of a task goes to the first kind that claims it; claims
 * read /proc only, so a refusal comes before any remote work. An open file description held by
 * several fds (dup, fork) is dumped once: fds with equal keys are compared with kcmp, and only the
 * first of each description gets `entry`.
 */
export interface FdDumper {
  /** How an error names this kind: 'pipe', 'eventfd'... */
  readonly name: string;
  /** The files.img fd type (fd_types) and the file_entry member that holds the kind's message. */
  readonly type: number;
  readonly field: string;
  /** Whether `fd` is of this kind. It may refuse one it recognizes but cannot dump. */
  claims(fd: OpenFd): boolean;
  /** Equal for fds that may share one open file description (the same object, flags and offset). */
  key(fd: OpenFd): string;
  /** The kind's message for the file entry `id`. */
  entry(fd: OpenFd, id: number, ctx: FdDumpContext): MessageValue;
  /** Images of this kind's own, written once the whole tree has been seen. */
  images?(): KindImage[];
  /** Just before the tree is killed or left: what the kind read still holds, or it refuses. */
  verify?(): void;
  /**
   * The dump ends, whether it succeeded or not: what the kind changed in the tasks' files for the
   * dump is put back. `killed`: the tree was killed after a dump that succeeded. Returns what could
   * not be put back, if anything.
   */
  end?(killed: boolean): string[];
}
