#!/usr/bin/env node
/** criu-ts: a thin shell over the library API, with CRIU's options and exit codes. */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { check, dump, restore } from './api.js';
import { runDemo } from './demo.js';
import { type CliOptions, OptionError, parseOptions, USAGE } from './options.js';

const VERSION = '0.1.0';

/** CRIU's exit codes: 0 on success, 1 on any failure. */
const EXIT_OK = 0;
const EXIT_FAILED = 1;

async function main(args: string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseOptions(args);
  } catch (error) {
    process.stderr.write(`criu-ts: ${(error as Error).message}\n${USAGE}`);
    return EXIT_FAILED;
  }
  if (options.version) {
    process.stdout.write(`Version: ${VERSION}\n`);
    return EXIT_OK;
  }
  if (options.help || !options.command) {
    process.stdout.write(USAGE);
    return options.help ? EXIT_OK : EXIT_FAILED;
  }
  const log = logger(options);
  switch (options.command) {
    case 'dump': {
      if (options.tree === undefined) return fail('dump needs -t|--tree PID');
      if (!options.imagesDir) return fail('dump needs -D|--images-dir DIR');
      if (options.leaveRunning && options.leaveStopped) return fail('-R and -s cannot go together');
      mkdirSync(options.imagesDir, { recursive: true });
      const result = await dump({
        pid: options.tree,
        imagesDir: options.imagesDir,
        leaveRunning: options.leaveRunning,
        leaveStopped: options.leaveStopped,
        freezeTimeoutMs: options.timeoutSeconds !== undefined ? options.timeoutSeconds * 1000 : undefined,
        log,
      })();
      if (result._tag === 'Left') return fail(`dump failed: ${result.left.message}`, log);
      log(2, `dump finished: ${options.imagesDir}`);
      return EXIT_OK;
    }
    case 'restore': {
      if (!options.imagesDir) return fail('restore needs -D|--images-dir DIR');
      const result = await restore({ imagesDir: options.imagesDir, log })();
      if (result._tag === 'Left') return fail(`restore failed: ${result.left.message}`, log);
      if (options.pidfile) writeFileSync(options.pidfile, `${result.right.rootPid}`);
      log(2, `restored: root PID ${result.right.rootPid}`);
      if (!options.restoreDetached) await waitForExit(result.right.rootPid);
      return EXIT_OK;
    }
    case 'check': {
      const result = await check()();
      if (result._tag === 'Left') return fail(result.left);
      process.stdout.write('Looks good.\n');
      return EXIT_OK;
    }
    case 'demo':
      return runDemo((line) => process.stdout.write(`${line}\n`));
    default:
      return fail(`unknown command '${options.command}'`);
  }
}

type Log = (level: number, message: string) => void;

/** Log lines at or below the verbosity go to the log file (in the work directory) or to stderr. */
function logger(options: CliOptions): Log {
  const workDir = options.workDir ?? options.imagesDir ?? '.';
  const file = options.logFile && options.logFile !== '-' ? (isAbsolute(options.logFile) ? options.logFile : join(workDir, options.logFile)) : undefined;
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

function fail(message: string, log?: Log): number {
  log?.(1, message);
  process.stderr.write(`criu-ts: ${message}\n`);
  return EXIT_FAILED;
}

/** Without -d, restore stays until the restored root exits, as CRIU does. */
async function waitForExit(pid: number): Promise<void> {
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: Error) => {
    process.stderr.write(`criu-ts: ${error.stack ?? error.message}\n`);
    process.exitCode = EXIT_FAILED;
  },
);
