import type { MessageValue } from '@criu-ts/images';
import { hostArch, sys } from '@criu-ts/ptrace';
import { type RemoteTask, RestoreFault, type RestorePlan } from '@criu-ts/subsystem';
import type { FdRestorer, ShmemFds } from './fd-restorer.js';
import type { FilesRestoreOptions } from './files-restore-options.js';
import { fdRestorers } from './kinds/index.js';
import { inheritedFd } from './inherited-fds.js';
import { RemappedFiles } from './remapped-files.js';
import { reopen } from '../reopen.js';

/**
 * The open file descriptions of one restore, by files.img id: each is made once, in this process,
 * when the first fd that holds it is restored, and closed here once every fd holding it has it.
 */
export class RestoredFiles {
  private readonly kinds: FdRestorer[];
  /** Files deleted at dump time, whether open or mapped. */
  private readonly remaps = new RemappedFiles();
  private readonly here = new Map<number, number>();
  /** How many fds of the tree still have to receive each file. */
  private readonly pending = new Map<number, number>();

  /** `shmem` holds the memfds of the restore's shared memory, which memfd fds are opened from. */
  constructor(
    private readonly plan: RestorePlan,
    private readonly options: FilesRestoreOptions = {},
    shmem?: ShmemFds,
  ) {
    this.kinds = fdRestorers(options, shmem, this.remaps);
    for (const task of plan.tasks) for (const fd of task.fds) this.pending.set(Number(fd.id), (this.pending.get(Number(fd.id)) ?? 0) + 1);
  }

  /** Our fd of file `id`, made on first use. */
  local(id: number, pid: number): number {
    const known = this.here.get(id);
    if (known !== undefined) return known;
    const { kind, entry } = this.kindOf(id, pid);
    // --inherit-fd: one of our fds may stand in for the file
    const fd = inheritedFd(this.plan.files.get(id)!, this.options) ?? kind.open(entry, this.plan, this.options);
    this.here.set(id, fd);
    return fd;
  }

  /**
   * For a mapping of REG entry `id` when that file was deleted at dump time: a new fd of ours on
   * it (its ghost, or its link remap), opened with `flags`, which the caller closes. Undefined for
   * a file still found at its path.
   */
  openDeleted(id: number, flags: number): number | undefined {
    const reg = this.plan.files.get(id)?.reg as MessageValue | undefined;
    if (!reg) return undefined;
    const anchor = this.remaps.anchor(reg, this.plan);
    if (anchor === undefined) return undefined;
    const fd = reopen(anchor, flags);
    if (fd < 0) throw new RestoreFault('files', `cannot reopen the deleted file ${String(reg.name)} for its mapping: errno ${-fd}`);
    return fd;
  }

  /**
   * The path by which a task reaches REG entry `id` for chdir or chroot: its name, or, for a
   * directory removed at dump time, the /proc link to our anchor of its ghost (which has no name).
   */
  pathOf(id: number): string | undefined {
    const reg = this.plan.files.get(id)?.reg as MessageValue | undefined;
    if (!reg) return undefined;
    const anchor = this.remaps.anchor(reg, this.plan);
    return anchor === undefined ? String(reg.name) : `/proc/${process.pid}/fd/${anchor}`;
  }

  /** One more fd holds file `id`: ours is closed once the last one does. */
  given(id: number): void {
    const left = (this.pending.get(id) ?? 1) - 1;
    this.pending.set(id, left);
    if (left > 0) return;
    const fd = this.here.get(id);
    if (fd !== undefined) sys(hostArch().syscalls.close, fd);
    this.here.delete(id);
  }

  /** The kind's work on file `id` that needs task `task`'s fd numbers, if it has any. */
  settle(task: RemoteTask, fd: number, id: number): void {
    const { kind, entry } = this.kindOf(id, task.tid);
    kind.settle?.(task, fd, entry, this.plan);
  }

  /**
   * Closes what the restore still holds. `succeeded`: the tree is built (every fd has its file), so
   * what was only kept for another attempt (link remaps on disk) can go; a failed restore keeps it.
   */
  closeAll(succeeded: boolean): void {
    for (const fd of this.here.values()) sys(hostArch().syscalls.close, fd);
    this.here.clear();
    const restored = succeeded && [...this.pending.values()].every((left) => left === 0);
    for (const kind of this.kinds) kind.close?.(restored);
  }

  private kindOf(id: number, pid: number): { kind: FdRestorer; entry: MessageValue } {
    const file = this.plan.files.get(id);
    if (!file) throw new RestoreFault('files', `file ${id} is not in files.img`, pid);
    for (const kind of this.kinds) {
      const entry = file[kind.field];
      if (entry !== undefined) return { kind, entry: entry as MessageValue };
    }
    throw new RestoreFault('files', `task ${pid} holds file ${id}, a ${String(file.type)} file, which this restore does not handle yet`, pid);
  }
}
