import type { FdDumper } from '../fd-dumper.js';
import type { FilesDumpOptions } from '../files-dump-options.js';
import { DeletedFiles } from '../deleted-files.js';
import { eventfds } from './eventfd.js';
import { eventpolls } from './eventpoll.js';
import { externalFiles } from './external-file.js';
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

/** The dump halves of every fd kind, fresh for one dump (some keep per-dump state). */
export function fdDumpers(options: FilesDumpOptions, deleted = new DeletedFiles(options)): FdDumper[] {
  // deleted files (ghosts, link remaps) are found among regular files, FIFOs and mappings alike
  // files marked --external come first: whatever their kind, the user hands them back at restore
  return [externalFiles(options), regularFiles(deleted), fifos(deleted), pipes(), eventfds, eventpolls, signalfds, timerfds, memfds, inotifies, fanotifies, pidfds, ttys(options), unixSockets(), inetSockets(options)];
}
