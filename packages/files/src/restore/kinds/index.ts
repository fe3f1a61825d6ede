import type { FdRestorer, ShmemFds } from '../fd-restorer.js';
import type { FilesRestoreOptions } from '../files-restore-options.js';
import { RemappedFiles } from '../remapped-files.js';
import { eventfds } from './eventfd.js';
import { eventpolls } from './eventpoll.js';
import { fanotifies } from './fanotify.js';
import { fifos } from './fifo.js';
import { inetSockets } from './inet-socket.js';
import { inotifies } from './inotify.js';
import { memfds } from './memfd.js';
import { pidfds } from './pidfd.js';
import { pipes } from './pipe.js';
import { regularFiles } from './regular.js';
import { signalfds } from './signalfd.js';
import { timerfds } from './timerfd.js';
import { ttys } from './tty.js';
import { unixSockets } from './unix-socket.js';

/** The restore halves of every fd kind, fresh for one restore (some keep state for its length). */
export function fdRestorers(options: FilesRestoreOptions, shmem?: ShmemFds, remaps = new RemappedFiles()): FdRestorer[] {
  // deleted files (ghosts, link remaps) are reopened by regular files, FIFOs and mappings alike,
  // and watched again by inotify and fanotify
  return [regularFiles(remaps), fifos(remaps), pipes(), eventfds, eventpolls(), signalfds, timerfds, memfds(shmem), inotifies(remaps), fanotifies(remaps), pidfds(), ttys(options), unixSockets(), inetSockets()];
}
