import { isAbsolute, join } from 'node:path';
import type { CliOptions } from './options.js';

/**
 * Where a path given on the command line points. CRIU runs in its work directory (-W, by default the
 * images directory, by default the current one): a relative log file or pidfile is relative to it.
 */
export function inWorkDir(options: CliOptions, path: string): string {
  return isAbsolute(path) ? path : join(options.workDir ?? imagesDir(options), path);
}

/** The images directory: -D, or the current directory, as in CRIU. */
export function imagesDir(options: CliOptions): string {
  return options.imagesDir ?? '.';
}
