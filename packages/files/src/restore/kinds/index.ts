import type { FdRestorer } from '../fd-restorer.js';
import type { FilesRestoreOptions } from '../files-restore-options.js';
import { eventfds } from './eventfd.js';
import { pipes } from './pipe.js';
import { regularFiles } from './regular.js';

/** The restore halves of every fd kind, fresh for one restore (some keep state for its length). */
export function fdRestorers(_options: FilesRestoreOptions): FdRestorer[] {
  return [regularFiles, pipes(), eventfds];
}
