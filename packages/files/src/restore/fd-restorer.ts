import type { MessageValue } from '@criu-ts/images';
import type { RemoteTask, RestorePlan } from '@criu-ts/subsystem';
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
  /** Closes what the kind keeps open for the whole restore (a pipe's other end). */
  close?(): void;
}
