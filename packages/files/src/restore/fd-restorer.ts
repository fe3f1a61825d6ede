import type { MessageValue } from '@criu-ts/images';
import type { RemoteTask, RestorePlan, ShmemPlan } from '@criu-ts/subsystem';
import type { FilesRestoreOptions } from './files-restore-options.js';

/**
 * The restore half of one fd kind. An open file description is made once, in this process, and
 * passed to every task fd that held it; so fds that shared it at dump time share it again (offset,
 * flags, queued data).
 */
export interface FdRestorer {
  /** The file_entry member this kind restores: 'reg', 'pipe', 'efd'... */
  readonly field: string;
  /** Makes the open file description of `entry` (the kind's message) and returns our fd of it. */
  open(entry: MessageValue, plan: RestorePlan, options: FilesRestoreOptions): number;
  /**
   * What needs the task's own fd numbers (an epoll's targets), once per file per task, after all
   * of the task's fds are in place.
   */
  settle?(task: RemoteTask, fd: number, entry: MessageValue, plan: RestorePlan): void;
  /**
   * Closes what the kind keeps open for the whole restore (a pipe's other end); `restored`: every
   * fd got its file, so what was kept only for a retry (a link remap) can go.
   */
  close?(restored: boolean): void;
}

/**
 * The restore's shared memory objects (@criu-ts/mem's ShmemTable), made once each in this process:
 * a memfd an fd held is the same object the task's mappings of it map.
 */
export interface ShmemFds {
  /** Our fd of object `plan` (the memfd made for it), which stays ours. */
  fdFor(plan: ShmemPlan, pid?: number): number;
}
