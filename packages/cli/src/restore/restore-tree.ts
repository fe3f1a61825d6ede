/**
 * `criu-ts restore`: a dumped tree brought back with its PIDs. Synchronous, and every ptrace call
 * is made from the calling thread: run it on a tracer thread (see ../tracer-thread.ts).
 *
 * 1. Read and check every image; refuse before creating anything if one is bad or a PID is taken.
 * 2. Start and seize a donor; map the helper area in it (free in every dumped layout).
 * 3. Clone the root from the donor with its PID (it passes to init when the donor goes), then each
 *    task from its parent, parents first, setting up sessions and process groups on the way.
 * 4. In each task: drop the donor's mappings, move the vDSO, map and fill every VMA, set the mm
 *    fields, the fds, cwd, signal handlers; clone its threads with their TIDs; seccomp filters,
 *    then credentials.
 * 5. Each thread's last remote syscall installs its dumped registers at the syscall exit and lets
 *    it go: the main thread's unmaps the helper area.
 * On any failure every task created so far is killed and one error says why.
 */
import { existsSync, readFileSync } from 'node:fs';
import { type Either, left, right } from 'fp-ts/lib/Either.js';
import { fromThreadInfo, type ThreadInfoX86 } from '@criu-ts/arch-x86';
import {
  type Arch,
  finalSyscall,
  getRegsetRaw,
  getRseqConfiguration,
  hostArch,
  PtraceFailure,
  waitTask,
  writeMemoryRaw,
} from '@criu-ts/ptrace';
import {
  closeInheritedFds,
  type FileLocksByTask,
  type FilesRestoreOptions,
  readFileLocks,
  RestoredFiles,
  restoreFds,
  restoreFileLocks,
  restoreFs,
  unlockRestoredConnections,
} from '@criu-ts/files';
import { chooseHelperAddress, dropDonorMappings, moveVdso, restoreMmStruct, restoreVmas, ShmemTable } from '@criu-ts/mem';
import { readSeccompPlan, restoreSeccomp, type SeccompPlan } from '@criu-ts/seccomp';
import { HELPER_SIZE, readRestorePlan, RemoteTask, type RestoreError, RestoreFault, type RestorePlan, type TaskPlan } from '@criu-ts/subsystem';
import {
  becomeZombie,
  blockedMask,
  cloneWithId,
  restoreComm,
  restoreCreds,
  restoreDumpable,
  restoreItimers,
  restorePendingSignals,
  restorePosixTimers,
  restoreRlimits,
  restoreSched,
  restoreSigactions,
  restoreTaskAttrs,
  restoreThreadState,
} from '@criu-ts/task';
import { type Donor, killDonor, startDonor } from './donor.js';
import { type RestoreStats, writeRestoreStats } from './stats.js';
import { interruptedAt } from '../interrupt.js';

export interface RestoreTreeOptions {
  readonly imagesDir: string;
  readonly log?: (level: number, message: string) => void;
  /** The files part: --inherit-fd, --file-locks. */
  readonly files?: FilesRestoreOptions;
  /** Set to non-zero (see Interrupt) to stop the restore at its next step, as a failure that leaves nothing behind. */
  readonly interrupt?: Int32Array;
}

export interface RestoreTreeResult {
  readonly rootPid: number;
  readonly tasks: number;
  readonly threads: number;
  /** What stats-restore records; undefined when it could not be written (the restore itself succeeded). */
  readonly stats?: RestoreStats;
}

const PROT_RWX = 7;
const MAP_PRIVATE = 0x02;
const MAP_ANONYMOUS = 0x20;
const MAP_FIXED_NOREPLACE = 0x100000;
const RSEQ_FLAG_UNREGISTER = 1;
const TASK_STATE_STOPPED = 3;
const SIGSTOP = 19;

export function restoreTree(options: RestoreTreeOptions): Either<RestoreError, RestoreTreeResult> {
  const log = options.log ?? (() => {});
  const step = (name: string, pid?: number) => {
    log(4, `restore step ${name}${pid === undefined ? '' : ` (task ${pid})`}`);
    const interrupted = interruptedAt(options.interrupt, name);
    if (interrupted) throw new RestoreFault(name, interrupted, pid);
  };
  const start = performance.now();
  let plan: RestorePlan;
  let locks: FileLocksByTask;
  let seccomp: SeccompPlan;
  try {
    step('images');
    plan = readRestorePlan(options.imagesDir);
    locks = readFileLocks(plan.imagesDir, options.files);
    seccomp = readSeccompPlan(plan.imagesDir, plan.tasks);
    checkIdsAreFree(plan);
  } catch (error) {
    return left(asRestoreError(error));
  }
  const arch = hostArch();
  const created: number[] = [];
  const shmem = new ShmemTable(plan.imagesDir);
  // memfd fds are opened on the objects the tasks' shared mappings map
  const files = new RestoredFiles(plan, options.files, shmem);
  let started: Donor | undefined;
  try {
    started = startDonor(options.files?.shellJob);
    const donor = new RemoteTask(started.tree.root, arch);
    log(3, `donor ${donor.tid} seized`);
    prepareDonor(donor, plan);
    const tasks = createTasks(donor, plan, created, log, options.files?.shellJob ?? false);
    const forked = performance.now();
    killDonor(started);
    started = undefined;
    const threads = new Map<number, RemoteTask>();
    for (const task of plan.tasks) {
      if (task.zombie !== undefined) continue;
      step('task', task.pid);
      const remote = tasks.get(task.pid)!;
      rebuildTask(remote, task, plan, files, shmem, log);
      // once every fd is in place: a POSIX lock goes with any close of its file by the task
      restoreFileLocks(remote, task.pid, locks);
      threads.set(task.pid, remote);
      for (const tid of task.threads.slice(1)) {
        cloneWithId(remote, tid, 'thread');
        created.push(tid);
        threads.set(tid, new RemoteTask(tid, arch, remote.helper));
      }
      for (const tid of task.threads) restoreSched(threads.get(tid)!, task.cores.get(tid)!, task.pid);
      restorePosixTimers(remote, task.cores.get(task.pid)!, task.pid);
      // seccomp while the task still has the privileges it may have installed its filters with (our
      // later calls are not filtered: the tracer suspends seccomp); the main thread first, whose
      // TSYNC filters the other threads share
      for (const tid of task.threads) restoreSeccomp(threads.get(tid)!, seccomp, task.pid);
      // credentials come last of what needs privileges; changing them clears the parent-death
      // signal and the dumpable flag, so those come after
      for (const tid of task.threads) restoreCreds(threads.get(tid)!, task.cores.get(tid)!, task.pid);
      restoreDumpable(remote, task.mm, task.pid);
      for (const tid of task.threads) restoreThreadState(threads.get(tid)!, task.cores.get(tid)!);
      restorePendingSignals(remote, task.pid, task.cores);
    }
    // zombies die again once everything else is built, while their parents cannot yet collect them
    for (const task of plan.tasks) if (task.zombie !== undefined) becomeZombie(tasks.get(task.pid)!, task.zombie);
    // the last moment the restore can still be taken back: the tasks run once released
    step('release');
    // memfd seals last: F_SEAL_FUTURE_WRITE would refuse the writable mappings made above
    shmem.seal();
    files.closeAll(true);
    shmem.closeAll();
    for (const task of plan.tasks) if (task.zombie === undefined) releaseTask(task, threads, arch);
    // the restored connections' packets may pass again (the tree runs: a lock that cannot be removed
    // is told, the restore stands)
    for (const failure of unlockRestoredConnections(plan)) log(1, `${failure}: the restored TCP connections stay locked until the lock is removed`);
    log(3, `restored ${plan.tasks.length} task(s), root ${plan.tasks[0].pid}`);
    const stats = writeRestoreStats(plan, { forkingTime: (forked - start) * 1000, restoreTime: (performance.now() - start) * 1000 });
    // the tree already runs: a stats file that cannot be written is worth a warning, not a failed restore
    if (stats._tag === 'Left') log(2, stats.left);
    return right({ rootPid: plan.tasks[0].pid, tasks: plan.tasks.length, threads: threads.size, stats: stats._tag === 'Right' ? stats.right : undefined });
  } catch (error) {
    files.closeAll(false);
    shmem.closeAll();
    if (started) killDonor(started);
    killAll(created);
    return left(asRestoreError(error));
  }
}

/**
 * Every PID and TID must be free. A task on its way out (killed by the dump, still tearing down its
 * memory, or a zombie waiting for its parent, often init, to reap it) is given a few seconds to go.
 */
function checkIdsAreFree(plan: RestorePlan): void {
  const deadline = Date.now() + 5000;
  for (const task of plan.tasks) {
    for (const tid of task.threads) {
      while (existsSync(`/proc/${tid}`)) {
        if (!leaving(tid) || Date.now() > deadline) {
          throw new RestoreFault('pids', `PID ${tid} is in use: the restored task needs it back`, tid);
        }
        Atomics.wait(PAUSE, 0, 0, 10);
      }
    }
  }
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));
const PF_EXITING = 0x4;

/** A zombie, a task already exiting (PF_EXITING in its stat flags), or one gone meanwhile. */
function leaving(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return true;
  }
  // after the command: state, ppid, pgrp, session, tty_nr, tpgid, flags
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[0] === 'Z' || fields[0] === 'X' || (Number(fields[6]) & PF_EXITING) !== 0;
}

/** The donor drops its rseq registration (its area is about to go) and gets the helper area. */
function prepareDonor(donor: RemoteTask, plan: RestorePlan): void {
  const rseq = getRseqConfiguration(donor.tid);
  if (rseq._tag === 'Right' && rseq.right.rseq_abi_pointer !== 0n) {
    donor.call('rseq', [rseq.right.rseq_abi_pointer, rseq.right.rseq_abi_size, RSEQ_FLAG_UNREGISTER, rseq.right.signature]);
  }
  const helper = chooseHelperAddress(plan, donor.tid);
  donor.call('mmap', [helper, HELPER_SIZE, PROT_RWX, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0]);
  writeMemoryRaw(donor.tid, helper, donor.arch.syscallInsn);
  donor.helper = helper;
}

function createTasks(
  donor: RemoteTask,
  plan: RestorePlan,
  created: number[],
  log: (level: number, message: string) => void,
  shellJob: boolean,
): Map<number, RemoteTask> {
  const tasks = new Map<number, RemoteTask>();
  const groups = new SessionsAndGroups(plan, shellJob);
  for (const task of plan.tasks) {
    const isRoot = task === plan.tasks[0];
    const parent = isRoot ? donor : tasks.get(task.ppid);
    if (!parent) throw new RestoreFault('pstree', `task ${task.pid} comes before its parent ${task.ppid} in pstree.img`, task.pid);
    cloneWithId(parent, task.pid, 'child');
    created.push(task.pid);
    const remote = new RemoteTask(task.pid, donor.arch, donor.helper);
    tasks.set(task.pid, remote);
    groups.join(remote, task, isRoot ? undefined : task.ppid);
    log(3, `task ${task.pid} created`);
  }
  groups.joinDeferred(tasks);
  return tasks;
}

/**
 * Sessions and process groups, set up while the tree is cloned. A task is born in its parent's
 * session and group. A session can only be made by its leader (setsid) and only inherited after that,
 * so a session leader calls setsid before it clones its children, and every other task must be born
 * into its session: its parent's must be the same (the images say a task whose session belongs to an
 * ancestor got it through the tasks in between). A group can be joined from anywhere in its session,
 * but only once its leader (or a member) exists: a task older than its group's leader joins it after
 * the whole tree is cloned. A shell job's root (--shell-job) stays in our session, where the donor
 * is, and in our group unless it led its own, as CRIU does.
 */
class SessionsAndGroups {
  /** The group each created task is in now. */
  private readonly current = new Map<number, number>();
  private readonly deferred: TaskPlan[] = [];
  private readonly plans: Map<number, TaskPlan>;

  constructor(
    plan: RestorePlan,
    private readonly shellJob: boolean,
  ) {
    this.plans = new Map(plan.tasks.map((t) => [t.pid, t]));
  }

  join(task: RemoteTask, plan: TaskPlan, ppid: number | undefined): void {
    const parent = ppid === undefined ? undefined : this.plans.get(ppid);
    if (plan.sid === plan.pid) {
      task.call('setsid', []);
      this.current.set(plan.pid, plan.pid);
    } else if (!parent && this.shellJob) {
      // our group stands for the dumped one; a root that led its own group gets a new one
      this.current.set(plan.pid, plan.pgid === plan.pid ? 0 : plan.pgid);
    } else if (!parent || parent.sid !== plan.sid) {
      throw new RestoreFault('pstree', `task ${plan.pid} belongs to session ${plan.sid}, which is not in the images (a shell job): restore with --shell-job`, plan.pid);
    } else {
      this.current.set(plan.pid, this.current.get(parent.pid)!);
    }
    if (this.current.get(plan.pid) === plan.pgid) return;
    if (plan.pgid === plan.pid || this.groupExists(plan.pgid)) this.setGroup(task, plan);
    else this.deferred.push(plan);
  }

  /** The groups whose leader was cloned after a member: joined now that every task exists. */
  joinDeferred(tasks: ReadonlyMap<number, RemoteTask>): void {
    for (const plan of this.deferred) {
      if (!this.groupExists(plan.pgid)) {
        throw new RestoreFault('pstree', `task ${plan.pid} is in process group ${plan.pgid}, whose leader is not in the images: not supported yet`, plan.pid);
      }
      this.setGroup(tasks.get(plan.pid)!, plan);
    }
  }

  private groupExists(pgid: number): boolean {
    for (const group of this.current.values()) if (group === pgid) return true;
    return false;
  }

  private setGroup(task: RemoteTask, plan: TaskPlan): void {
    const { ret } = task.try('setpgid', [0, plan.pgid]);
    if (ret < 0n) throw new RestoreFault('pstree', `task ${plan.pid} cannot join process group ${plan.pgid}: errno ${-ret}`, plan.pid);
    this.current.set(plan.pid, plan.pgid);
  }
}

function rebuildTask(task: RemoteTask, plan: TaskPlan, restore: RestorePlan, files: RestoredFiles, shmem: ShmemTable, log: (level: number, message: string) => void): void {
  const core = plan.cores.get(plan.pid)!;
  dropDonorMappings(task);
  moveVdso(task, plan);
  // a file deleted at dump time is mapped from its ghost or link remap
  const deleted = (id: number, flags: number) => files.openDeleted(id, flags);
  restoreVmas(task, plan, restore, shmem, deleted);
  restoreMmStruct(task, plan, restore, deleted);
  log(3, `task ${plan.pid}: memory restored`);
  closeInheritedFds(task);
  // before the limits: a task may hold fds above a limit it lowered after opening them
  restoreFds(task, plan, files);
  restoreFs(task, plan, files);
  restoreSigactions(task, core);
  restoreRlimits(task, core, plan.pid);
  restoreItimers(task, core);
  restoreComm(task, core);
  restoreTaskAttrs(task, core, plan.mm, plan.pid);
}

/**
 * Final syscalls: threads first (getpid), then the main thread, whose munmap removes the helper area.
 * A task that was stopped when dumped is let go with the signal that had stopped it (SIGSTOP,
 * SIGTSTP, SIGTTIN or SIGTTOU): it stops again at once.
 */
function releaseTask(plan: TaskPlan, threads: Map<number, RemoteTask>, arch: Arch): void {
  const ordered = [...plan.threads.slice(1), plan.threads[0]];
  const tc = plan.cores.get(plan.pid)!.tc as { task_state?: number; stop_signo?: number } | undefined;
  const stopSignal = Number(tc?.task_state) === TASK_STATE_STOPPED ? Number(tc?.stop_signo ?? SIGSTOP) || SIGSTOP : 0;
  for (const tid of ordered) {
    const thread = threads.get(tid)!;
    const core = plan.cores.get(tid)!;
    const main = tid === plan.pid;
    const xstateSize = getRegsetRaw(tid, arch.regsets.xstate.note, arch.regsets.xstate.size).length;
    const regs = fromThreadInfo(core.thread_info as unknown as ThreadInfoX86, { xstateSize });
    // The FPU state goes in whole with xstate (which holds the legacy fpregs area too). The GDT TLS
    // slots are left alone: a 64-bit task keeps its TLS in fs_base, part of gpregs.
    const regsets: Record<string, Uint8Array> = regs.regsets.xstate ? { xstate: regs.regsets.xstate } : { fpregs: regs.regsets.fpregs };
    const nr = main ? arch.syscalls.munmap : arch.syscalls.getpid;
    const args = main ? [thread.helper!, HELPER_SIZE] : [];
    const done = finalSyscall(tid, arch, nr, args, { gpregs: regs.gpregs, regsets, sigmask: blockedMask(core), at: thread.helper, detach: true, detachSignal: main ? stopSignal : 0 });
    if (done._tag === 'Left') throw new PtraceFailure(done.left);
  }
}


/** Kills what the restore created; each was traced by us, so we collect its death too. */
function killAll(tids: readonly number[]): void {
  for (const tid of [...tids].reverse()) {
    try {
      process.kill(tid, 'SIGKILL');
    } catch {
      continue;
    }
    try {
      for (;;) if (waitTask(tid, 2000).kind !== 'stopped') break;
    } catch {
      // not ours to wait for any more (a thread whose process is gone)
    }
  }
}

function asRestoreError(error: unknown): RestoreError {
  if (error instanceof RestoreFault) return { step: error.step, pid: error.pid, message: error.message };
  if (error instanceof PtraceFailure) return { step: error.error.syscall, pid: error.error.pid, message: error.message };
  return { step: 'restore', message: error instanceof Error ? error.message : String(error) };
}
