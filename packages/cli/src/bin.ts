#!/usr/bin/env node
/** criu-ts: a thin shell over the library API, with CRIU's options, configuration files and exit codes. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { check, checkFeature, dump, type DumpOptions, restore } from './api.js';
import { runDemo } from './demo.js';
import { type Log, logFilePath, openLog } from './log.js';
import { type CliOptions, parseOptions, USAGE } from './options.js';
import { imagesDir, inWorkDir } from './work-dir.js';

const VERSION = '0.1.0';

/** CRIU's exit codes: 0 on success, 1 on any failure (a bad command line included). */
const EXIT_OK = 0;
const EXIT_FAILED = 1;

/** CRIU's other commands: refused by name. */
const CRIU_COMMANDS = new Set(['pre-dump', 'page-server', 'lazy-pages', 'service', 'swrk', 'dedup', 'cpuinfo', 'exec', 'show']);

async function main(args: string[]): Promise<number> {
  let options: CliOptions;
  try {
    options = parseOptions(args);
  } catch (error) {
    return usageError((error as Error).message);
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return EXIT_OK;
  }
  if (options.version) {
    process.stdout.write(`Version: ${VERSION}\n`);
    return EXIT_OK;
  }
  if (!options.command) return usageError('command is required');
  if (options.feature !== undefined && options.command !== 'check') return usageError('option --feature goes with check only');
  // both would change nothing for another command: refused rather than ignored
  if (options.external.length > 0 && options.command !== 'dump') return usageError('option --external goes with dump only');
  if (options.inheritFds.size > 0 && options.command !== 'restore') return usageError('option --inherit-fd goes with restore only');
  let log: Log;
  try {
    // dump creates its images directory, where its log goes by default
    if (options.command === 'dump') mkdirSync(imagesDir(options), { recursive: true });
    log = openLog(options);
  } catch (error) {
    return fail((error as Error).message);
  }
  // failures go to stderr always, and to the log as well when it is a file
  if (logFilePath(options)) logFile = log;
  log(4, `criu-ts ${VERSION} ${options.command}; configuration files read: ${options.configFiles.join(', ') || 'none'}`);
  switch (options.command) {
    case 'dump':
      return runDump(options, log);
    case 'restore':
      return runRestore(options, log);
    case 'check':
      return options.feature !== undefined ? runCheckFeature(options.feature) : runCheck();
    case 'demo':
      return runDemo((line) => process.stdout.write(`${line}\n`));
    default:
      return fail(CRIU_COMMANDS.has(options.command) ? `command '${options.command}' is not supported by criu-ts yet` : `unknown command '${options.command}'`);
  }
}

async function runDump(options: CliOptions, log: Log): Promise<number> {
  if (options.tree === undefined) return fail('dump needs -t|--tree PID');
  // CRIU's dump does not write a pidfile either: it is the restored root's, or a daemon's
  if (options.pidfile) log(4, `--pidfile ${options.pidfile}: only restore writes it`);
  const dumpOptions: DumpOptions = {
    pid: options.tree,
    imagesDir: imagesDir(options),
    leaveRunning: options.finalState === 'alive',
    leaveStopped: options.finalState === 'stopped',
    freezeTimeoutMs: options.timeoutSeconds !== undefined ? options.timeoutSeconds * 1000 : undefined,
    files: {
      ghostLimit: options.ghostLimit,
      linkRemap: options.linkRemap,
      fileLocks: options.fileLocks,
      shellJob: options.shellJob,
      external: options.external,
      tcpEstablished: options.tcpEstablished,
      networkLock: options.networkLock,
    },
    log,
  };
  const result = await whileSignalsStop('dump', log, (signal) => dump({ ...dumpOptions, signal })());
  if (result._tag === 'Left') return fail(`dump failed: ${result.left.message}`);
  log(3, `dump finished: ${imagesDir(options)}`);
  return EXIT_OK;
}

/**
 * Runs a dump or restore that SIGINT, SIGTERM or SIGHUP stop at their next step, as a failure that
 * leaves the tree as it was (a second signal ends criu-ts at once, as it would have without this).
 */
async function whileSignalsStop<T>(job: string, log: Log, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const stop = (name: NodeJS.Signals) => {
    log(1, `${name}: stopping the ${job}`);
    controller.abort(name);
  };
  const names: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const name of names) process.once(name, stop);
  try {
    return await run(controller.signal);
  } finally {
    for (const name of names) process.removeListener(name, stop);
  }
}

async function runRestore(options: CliOptions, log: Log): Promise<number> {
  if (options.finalState === 'stopped') return fail('option --leave-stopped with restore is not supported by criu-ts yet');
  const pidfile = options.pidfile === undefined ? undefined : inWorkDir(options, options.pidfile);
  // the pidfile is created, never overwritten (as CRIU does): refuse before anything is restored
  if (pidfile && existsSync(pidfile)) return fail(`pidfile ${pidfile} exists already`);
  const files = { fileLocks: options.fileLocks, shellJob: options.shellJob, inheritFds: options.inheritFds };
  const result = await whileSignalsStop('restore', log, (signal) => restore({ imagesDir: imagesDir(options), files, log, signal })());
  if (result._tag === 'Left') return fail(`restore failed: ${result.left.message}`);
  const rootPid = result.right.rootPid;
  if (pidfile) {
    try {
      writeFileSync(pidfile, `${rootPid}`, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      return fail(`pidfile ${pidfile}: ${(error as Error).message} (the tree is restored, root PID ${rootPid})`);
    }
  }
  log(3, `restored: root PID ${rootPid}`);
  if (!options.restoreDetached) await waitForExit(rootPid);
  return EXIT_OK;
}

async function runCheck(): Promise<number> {
  const result = await check()();
  if (result._tag === 'Left') return fail(result.left);
  process.stdout.write('Looks good.\n');
  return EXIT_OK;
}

/** One CRIU feature: "NAME is supported" and 0, or why not and 1 (as CRIU answers). */
async function runCheckFeature(name: string): Promise<number> {
  const result = await checkFeature(name)();
  if (result._tag === 'Left') return fail(result.left.message);
  process.stdout.write(`${result.right}\n`);
  return EXIT_OK;
}

function usageError(message: string): number {
  process.stderr.write(`criu-ts: ${message}\nTry -h|--help for more info\n`);
  return EXIT_FAILED;
}

/** The log, once it is open and when it is a file. */
let logFile: Log | undefined;

function fail(message: string): number {
  logFile?.(1, message);
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
