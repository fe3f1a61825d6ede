import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { ImagesDir, type MessageValue, type ImageEntry } from '@criu-ts/images';
import { FileLocks, type FilesDumpOptions, NETWORK_LOCK_METHODS, TreeFiles } from '@criu-ts/files';
import { collectVmas, dumpPages, mmEntry, mmRemoteState, type SelfWriter, SharedMemory } from '@criu-ts/mem';
import { type Arch, freezeTree, hostArch, installFd, thawTree, type FrozenTree } from '@criu-ts/ptrace';
import { SeccompImage } from '@criu-ts/seccomp';
import { DumpFault } from '@criu-ts/subsystem';
import { checkNothingShared, checkSameNamespaces, checkTaskSupported, zombieCore, dumpTaskCores, inventoryEntry, pstreeEntries, taskIds } from '@criu-ts/task';
import * as E from 'fp-ts/lib/Either.js';
import { finishTree, type DumpEnding } from './dump/finish.js';
import { interruptedAt } from './interrupt.js';
import { TreeRemote } from './dump/remote.js';
import { statsEntry, type DumpStats } from './dump/stats.js';

export type { DumpStats } from './dump/stats.js';

export interface DumpTreeOptions {
  /** The root of the tree to dump. */
  readonly pid: number;
  /** Where the images go (created if missing). */
  readonly imagesDir: string;
  /** Let the tree run on after the dump (default: kill it, as CRIU does). */
  readonly leaveRunning?: boolean;
  /** Leave the tree stopped (SIGSTOP) after the dump. */
  readonly leaveStopped?: boolean;
  /** Log lines: level 1 error, 2 warning, 3 info, 4 debug (CRIU's -v levels). */
  readonly log?: (level: number, msg: string) => void;
  /** How long to wait for each thread to stop when freezing, ms (default 5000). */
  readonly freezeTimeoutMs?: number;
  /** Fail the dump at this step (also from env CRIU_TS_FAULT), to test that a failed dump leaves the tree as it was. */
  readonly faultInjection?: string;
  /** Set to non-zero (see Interrupt) to stop the dump at its next step, as a failure that leaves the tree as it was. */
  readonly interrupt?: Int32Array;
  /** The files part: --ghost-limit, --link-remap, --file-locks, --external. */
  readonly files?: FilesDumpOptions;
}

/** Why a dump failed: the step, the task it was at, and one sentence. The tree runs on as before. */
export interface DumpError {
  readonly step: string;
  readonly pid?: number;
  readonly message: string;
}

/** The steps of a dump, in order; each is a place where a fault can be injected. */
export const DUMP_STEPS = ['freeze', 'check', 'task-core', 'mm', 'files', 'pages', 'write', 'finish'] as const;

/**
 * Dumps the process tree rooted at `pid` into CRIU images. Synchronous: every ptrace call runs on the
 * calling thread (run it on a dedicated tracer thread). Freezes the tree, collects every task's state
 * (registers, signal state, creds, memory, fds), writes the images, then kills the tree, or leaves it
 * running or stopped. Any failure before the end thaws the tree so every task runs on exactly as before.
 */
export function dumpTree(options: DumpTreeOptions): E.Either<DumpError, DumpStats> {
  const log = options.log ?? (() => {});
  const fault = options.faultInjection ?? process.env.CRIU_TS_FAULT;
  const step = (name: (typeof DUMP_STEPS)[number]) => {
    log(4, `dump step ${name}`);
    if (fault === name) throw new DumpFault({ step: name, pid: options.pid, message: `fault injected at step ${name}` });
    const interrupted = interruptedAt(options.interrupt, name);
    if (interrupted) throw new DumpFault({ step: name, pid: options.pid, message: interrupted });
  };
  const ending: DumpEnding = options.leaveStopped ? 'stop' : options.leaveRunning ? 'run' : 'kill';

  try {
    step('freeze');
  } catch (e) {
    return E.left(asDumpError(e));
  }
  const arch = hostArch();
  const t0 = performance.now();
  const frozen = freezeTree(options.pid, options.freezeTimeoutMs !== undefined ? { stopTimeoutMs: options.freezeTimeoutMs } : {});
  if (E.isLeft(frozen)) return E.left({ step: 'freeze', pid: frozen.left.pid, message: frozen.left.message });
  const tree = frozen.right;
  const t1 = performance.now();
  log(3, `froze ${tree.tasks.length} task(s) in ${tree.rounds} round(s), ${Math.round((t1 - t0) * 1000)} µs`);
  const remote = new TreeRemote(arch, (m) => log(4, m));

  // the run id names this dump in inventory.img, and its network lock
  const runId = randomUUID();
  const files = new TreeFiles({ ...options.files, runId }, tree);
  const ended = (failures: string[]) => {
    for (const failure of failures) log(1, `${failure}: the tree's TCP connections stay locked until the lock is removed`);
  };
  try {
    const stats = dumpFrozen(tree, files, options, arch, remote, step, log, t0, t1, runId);
    step('finish');
    files.verify();
    // a tree that runs on gets its files as they were (TCP connections out of repair mode) first;
    // a killed one after it died, so its connections close in repair mode, silently
    if (ending !== 'kill') ended(files.end(false));
    const left = finishTree(tree, ending);
    if (ending === 'kill') ended(files.end(true));
    if (left.length > 0) log(2, `threads still traced after the dump: ${left.join(' ')}`);
    return E.right(stats);
  } catch (e) {
    const error = asDumpError(e);
    log(1, `dump failed at ${error.step}${error.pid ? ` (pid ${error.pid})` : ''}: ${error.message}`);
    ended(files.end(false));
    remote.releaseAll();
    const thawed = thawTree(tree);
    if (E.isLeft(thawed)) log(1, `thaw after the failure: ${thawed.left.message}`);
    return E.left(error);
  }
}

function dumpFrozen(
  tree: FrozenTree,
  files: TreeFiles,
  options: DumpTreeOptions,
  arch: ReturnType<typeof hostArch>,
  remote: TreeRemote,
  step: (name: (typeof DUMP_STEPS)[number]) => void,
  log: (level: number, msg: string) => void,
  t0: number,
  t1: number,
  runId: string,
): DumpStats {
  step('check');
  const locks = new FileLocks(options.files);
  for (const task of tree.tasks) {
    if (task.zombie) continue;
    checkSameNamespaces(task.pid);
    checkTaskSupported(task.pid, task.threads.map((t) => t.tid));
    locks.collect(task.pid);
  }
  checkNothingShared(tree.tasks.filter((task) => !task.zombie).map((task) => task.pid));

  mkdirSync(options.imagesDir, { recursive: true });
  const dir = E.getOrElseW((e: { message: string }) => {
    throw new DumpFault({ step: 'write', message: `images directory ${options.imagesDir}: ${e.message}` });
  })(ImagesDir.open(options.imagesDir));

  const shmem = new SharedMemory((inodeId, flags) => files.table.addMemfd({ inodeId, flags }));
  // a memfd open as an fd and mapped is one object: its pages dumped once
  files.shareMemoryWith(shmem);
  const mapped = { mapped: files.mapped.bind(files), sharedMemory: shmem.sharedMemory.bind(shmem) };
  const images: [string, string, MessageValue[] | ImageEntry[]][] = [];
  const seccomp = new SeccompImage();
  let memdumpTime = 0;
  let memwriteTime = 0;
  let pagesScanned = 0;
  let pagesWritten = 0;
  let shpagesScanned = 0;
  let shpagesWritten = 0;
  let threads = 0;
  const pagesFiles: string[] = [];

  tree.tasks.forEach((task, index) => {
    const pid = task.pid;
    const objectId = index + 2;
    step('task-core');
    if (task.zombie) {
      // a zombie is only its exit status, waiting for its parent
      images.push([`core-${pid}.img`, 'CORE', [zombieCore(pid)]]);
      return;
    }
    const { cores } = dumpTaskCores(task, arch, remote);
    const filters = seccomp.task(pid, cores.map((c) => c.tid));
    for (const { tid, core } of cores) Object.assign(core.thread_core as MessageValue, filters.get(tid));
    threads += cores.length;
    for (const { tid, core } of cores) images.push([`core-${tid}.img`, 'CORE', [core]]);
    images.push([`ids-${pid}.img`, 'IDS', [taskIds(objectId)]]);

    step('mm');
    const mmState = mmRemoteState(pid, remote);
    const exeId = files.exe(pid);
    const scratch = remote.scratchRange(pid);
    const vmas = collectVmas(pid, mapped, { ignore: scratch ? [scratch] : [] });

    step('files');
    const fdinfo = files.fds(pid, remote);
    locks.note(pid, fdinfo);
    images.push([`fdinfo-${objectId}.img`, 'FDINFO', fdinfo]);
    images.push([`fs-${pid}.img`, 'FS', [files.fs(pid)]]);
    images.push([`mm-${pid}.img`, 'MM', [mmEntry(pid, mmState, exeId, vmas)]]);
    remote.release(pid);

    step('pages');
    const pagesId = index + 1;
    const pages = dumpPages(pid, vmas, options.imagesDir, pagesId, { selfWriter: selfWriter(pid, arch, remote) });
    pagesFiles.push(`pages-${pagesId}.img`);
    images.push([`pagemap-${pid}.img`, 'PAGEMAP', [{ pages_id: pagesId }, ...pages.pagemap]]);
    memdumpTime += pages.memdumpUs;
    memwriteTime += pages.memwriteUs;
    pagesScanned += pages.pagesScanned;
    pagesWritten += pages.pagesWritten;
    log(3, `task ${pid}: ${cores.length} thread(s), ${vmas.length} VMAs, ${pages.pagesWritten} pages`);
  });

  if (shmem.size > 0) {
    // shared memory once per object, after every task has named the objects it maps
    step('pages');
    const shared = shmem.dumpPages(options.imagesDir, tree.tasks.length + 1);
    for (const image of shared.images) images.push([image.name, 'PAGEMAP', image.entries]);
    images.push(['memfd.img', 'MEMFD_INODE', shmem.inodeEntries()]);
    pagesFiles.push(...shared.pagesFiles);
    shpagesScanned += shared.pagesScanned;
    shpagesWritten += shared.pagesWritten;
    log(3, `${shmem.size} shared memory object(s), ${shared.pagesWritten} pages`);
  }

  step('write');
  for (const image of [...files.images(), ...locks.images()]) images.push([image.name, image.magic, [...image.entries]]);
  images.push(['pstree.img', 'PSTREE', pstreeEntries(tree)]);
  images.push(['seccomp.img', 'SECCOMP', [seccomp.entry()]]);
  images.push(['inventory.img', 'INVENTORY', [inventoryEntry(runId, NETWORK_LOCK_METHODS.indexOf(options.files?.networkLock ?? 'nftables'))]]);
  for (const [name, magic, entries] of images) {
    const asEntries = entries.map((e) => ('message' in e && 'type' in e ? (e as ImageEntry) : { message: e as MessageValue, type: '' }));
    const r = dir.write(name, { magic, entries: asEntries });
    if (E.isLeft(r)) throw new DumpFault({ step: 'write', message: `${name}: ${r.left.message ?? JSON.stringify(r.left)}` });
  }
  const stats = {
    freezingTime: (t1 - t0) * 1000,
    frozenTime: (performance.now() - t1) * 1000,
    memdumpTime,
    memwriteTime,
    pagesScanned,
    pagesWritten,
    shpagesScanned,
    shpagesWritten,
  };
  const w = dir.write('stats-dump', { magic: 'STATS', entries: [{ message: statsEntry(stats), type: 'stats_entry' }] });
  if (E.isLeft(w)) throw new DumpFault({ step: 'write', message: `stats-dump: ${JSON.stringify(w.left)}` });
  return { ...stats, tasks: tree.tasks.length, threads, images: [...images.map(([n]) => n), ...pagesFiles, 'stats-dump'] };
}

function asDumpError(e: unknown): DumpError {
  if (e instanceof Error && e.name === 'DumpFault' && 'info' in e) return (e as DumpFault).info;
  if (e instanceof Error) return { step: 'internal', message: `${e.name}: ${e.message}` };
  return { step: 'internal', message: String(e) };
}

/**
 * The task writes its own pages into the pages file: it gets our fd of the file for the time of the
 * copy and runs pwrite64 from its memory (one copy, no round trip through this process). A dump
 * killed in the middle leaves the task that extra fd and nothing else.
 */
function selfWriter(pid: number, arch: Arch, remote: TreeRemote): SelfWriter {
  return {
    install(fd) {
      const installed = installFd(pid, arch, fd, { cloexec: true });
      if (E.isLeft(installed)) throw new DumpFault({ step: 'pages', pid, message: `passing the pages file to ${pid}: ${installed.left.message}` });
      return installed.right;
    },
    // At most 16 MiB per call: a dump killed meanwhile leaves the task to finish the call on its own
    // (see return-frame.ts), which stays a matter of milliseconds, for ~0.2 ms of overhead per call.
    pwrite: (taskFd, addr, length, offset) => remote.callRaw(pid, 'pwrite64', [taskFd, addr, Math.min(length, 16 << 20), offset]),
    close: (taskFd) => void remote.callRaw(pid, 'close', [taskFd]),
  };
}
