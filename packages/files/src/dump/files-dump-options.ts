import type { NetworkLockMethod } from '../network-lock.js';

/** What a user can ask of the files part of a dump (CRIU's options of the same names). */
export interface FilesDumpOptions {
  /** --ghost-limit: the largest deleted-but-open file whose contents go into the images, bytes. */
  readonly ghostLimit?: number;
  /** --link-remap: deleted files are linked back under a temporary name instead of copied. */
  readonly linkRemap?: boolean;
  /** --file-locks: held file locks are dumped (without it a task holding one is refused). */
  readonly fileLocks?: boolean;
  /** --external: resources the user takes responsibility for at restore (file[mnt:inode], tty[rdev:dev]...). */
  readonly external?: readonly string[];
  /** --shell-job: the tree may sit in a session whose leader, and terminal, are outside it. */
  readonly shellJob?: boolean;
  /** --tcp-established: established TCP connections are dumped (in repair mode) instead of refused. */
  readonly tcpEstablished?: boolean;
  /** --network-lock: how established connections are kept quiet while dumped and gone (default nftables). */
  readonly networkLock?: NetworkLockMethod;
  /** The dump's run id (inventory.img's dump_criu_run_id): it names the network lock. */
  readonly runId?: string;
}
