/** The log of one run of the criu-ts command, in CRIU's form: `(seconds) Error: message`. */
import { appendFileSync, writeFileSync } from 'node:fs';
import type { CliOptions } from './options.js';
import { inWorkDir } from './work-dir.js';

export type Log = (level: number, message: string) => void;

/**
 * Lines at or below the verbosity go to the log file (relative to the work directory) or, without
 * one (or with `-o -`), to stderr. The file
 * is created, or emptied, at once, as CRIU does: callers such as zdtm.py read it after every run,
 * even one that logged nothing.
 */
export function openLog(options: CliOptions): Log {
  const file = logFilePath(options);
  if (file) writeFileSync(file, '');
  const start = performance.now();
  // On a terminal, the steps of a long dump or restore show on one line that is rewritten in place.
  const progress = !file && process.stderr.isTTY && options.verbosity < 3;
  return (level, message) => {
    if (progress && level === 3) {
      process.stderr.write(`\r\x1b[K${message.slice(0, (process.stderr.columns ?? 80) - 1)}`);
      return;
    }
    if (progress) process.stderr.write('\r\x1b[K');
    if (level > options.verbosity) return;
    const line = `(${((performance.now() - start) / 1000).toFixed(6).padStart(12)}) ${level === 1 ? 'Error: ' : level === 2 ? 'Warn: ' : ''}${message}\n`;
    if (file) appendFileSync(file, line);
    else process.stderr.write(line);
  };
}

/** The log file's path, or undefined when the log goes to stderr. */
export function logFilePath(options: CliOptions): string | undefined {
  return options.logFile && options.logFile !== '-' ? inWorkDir(options, options.logFile) : undefined;
}
