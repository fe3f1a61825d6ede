import type { FdDumper } from '../fd-dumper.js';
import type { FilesDumpOptions } from '../files-dump-options.js';
import { eventfds } from './eventfd.js';
import { pipes } from './pipe.js';
import { regularFiles } from './regular.js';

/** The dump halves of every fd kind, fresh for one dump (some keep per-dump state). */
export function fdDumpers(_options: FilesDumpOptions): FdDumper[] {
  return [regularFiles, pipes(), eventfds];
}
