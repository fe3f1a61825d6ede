/**
 * A task's file descriptors and fs state: regular files and character devices reopened by path at
 * their offset, pipes (with their unread bytes) created here and passed in, the working directory,
 * root and umask.
 */
import { readdirSync } from 'node:fs';
import { type MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, installFdRaw, kbuf, sys } from '@criu-ts/ptrace';
import { type RemoteTask, RestoreFault, type RestorePlan, type TaskPlan } from '@criu-ts/subsystem';

const AT_FDCWD = -100;
const O_ACCMODE = 3;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_TRUNC = 0o1000;
const O_CLOEXEC = 0o2000000;
const O_NONBLOCK = 0o4000;
const F_SETFL = 4;
const SEEK_SET = 0;
const FD_CLOEXEC = 1;

/** Pipes made here for this restore, by pipe id: [read end, write end] in this process. */
export type PipeTable = Map<number, [number, number]>;

/** Closes whatever fds the task inherited from the donor. */
export function closeInheritedFds(task: RemoteTask): void {
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${task.tid}/fd`);
  } catch {
    return;
  }
  for (const fd of fds) task.call('close', [Number(fd)]);
}

export function restoreFds(task: RemoteTask, plan: TaskPlan, restore: RestorePlan, pipes: PipeTable): void {
  for (const fdinfo of plan.fds) {
    task.resetScratch();
    const fd = Number(fdinfo.fd);
    const cloexec = (Number(fdinfo.flags ?? 0) & FD_CLOEXEC) !== 0;
    const file = restore.files.get(Number(fdinfo.id))!;
    if (file.reg) restoreRegularFile(task, fd, cloexec, file.reg as MessageValue, plan.pid);
    else if (file.pipe) restorePipeEnd(task, fd, cloexec, file.pipe as MessageValue, restore, pipes);
    else if (file.efd) restoreEventfd(task, fd, cloexec, file.efd as MessageValue);
    else throw new RestoreFault('files', `fd ${fd} of task ${plan.pid} is a ${file.type} file, which this restore does not handle yet`, plan.pid);
  }
}

function restoreRegularFile(task: RemoteTask, fd: number, cloexec: boolean, reg: MessageValue, pid: number): void {
  // reopen as it was opened, minus what would change the file itself
  const flags = (Number(reg.flags) & ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC)) | (cloexec ? O_CLOEXEC : 0);
  const path = String(reg.name);
  const { ret } = task.try('openat', [AT_FDCWD, task.putString(path), flags, 0]);
  if (ret < 0n) throw new RestoreFault('files', `cannot reopen ${path} for fd ${fd} of task ${pid}: errno ${-ret}`, pid);
  moveFd(task, Number(ret), fd, cloexec);
  const pos = BigInt((reg.pos as bigint | undefined) ?? 0n);
  if (pos !== 0n) task.call('lseek', [fd, pos, SEEK_SET]);
}

/** An eventfd made here with its counter, then passed in (its flags travel with the open file). */
function restoreEventfd(task: RemoteTask, fd: number, cloexec: boolean, efd: MessageValue): void {
  const nr = hostArch().syscalls;
  const local = sys(nr.eventfd2, 0, O_CLOEXEC | (Number(efd.flags) & O_NONBLOCK));
  if (local < 0) throw new RestoreFault('files', `eventfd2 failed: errno ${-local}`);
  try {
    const counter = BigInt(efd.counter as bigint);
    if (counter > 0n) {
      // the counter goes in with write(2): eventfd2's initial value is only 32 bits wide
      const value = kbuf(8);
      value.writeBigUInt64LE(counter);
      const n = sys(nr.write, local, addressOf(value), 8);
      if (n !== 8) throw new RestoreFault('files', `cannot set an eventfd's counter to ${counter}: errno ${-n}`);
    }
    installFdRaw(task.tid, task.arch, local, { targetFd: fd, cloexec, mode: 'vdso', at: task.helper });
  } finally {
    sys(nr.close, local);
  }
}

function restorePipeEnd(task: RemoteTask, fd: number, cloexec: boolean, pipe: MessageValue, restore: RestorePlan, pipes: PipeTable): void {
  const id = Number(pipe.pipe_id);
  let ends = pipes.get(id);
  if (!ends) {
    ends = makePipe(restore.pipeData.get(id), task.tid);
    pipes.set(id, ends);
  }
  const flags = Number(pipe.flags);
  const end = (flags & O_ACCMODE) === 0 ? ends[0] : ends[1];
  installFdRaw(task.tid, task.arch, end, { targetFd: fd, cloexec, mode: 'vdso', at: task.helper });
  if (flags & O_NONBLOCK) task.call('fcntl', [fd, F_SETFL, flags & O_NONBLOCK]);
}

/** A pipe in this process, holding the bytes that were unread at dump time. */
function makePipe(data: Uint8Array | undefined, pid: number): [number, number] {
  const fds = kbuf(8);
  const r = sys(hostArch().syscalls.pipe2, addressOf(fds), O_CLOEXEC);
  if (r < 0) throw new RestoreFault('files', `pipe2 failed: errno ${-r}`, pid);
  const ends: [number, number] = [fds.readInt32LE(0), fds.readInt32LE(4)];
  if (data && data.length > 0) {
    // a buffer of its own (not a slice of Node's pool), whose address is its first byte
    const bytes = kbuf(data.length);
    bytes.set(data);
    let done = 0;
    while (done < bytes.length) {
      const n = sys(hostArch().syscalls.write, ends[1], addressOf(bytes) + BigInt(done), bytes.length - done);
      if (n <= 0) throw new RestoreFault('files', `cannot refill a pipe with its ${bytes.length} unread bytes: errno ${-n}`, pid);
      done += n;
    }
  }
  return ends;
}

export function closePipes(pipes: PipeTable): void {
  for (const [r, w] of pipes.values()) {
    sys(hostArch().syscalls.close, r);
    sys(hostArch().syscalls.close, w);
  }
  pipes.clear();
}

function moveFd(task: RemoteTask, from: number, to: number, cloexec: boolean): void {
  if (from === to) return;
  task.call('dup3', [from, to, cloexec ? O_CLOEXEC : 0]);
  task.call('close', [from]);
}

/** Working directory, root and umask. */
export function restoreFs(task: RemoteTask, plan: TaskPlan, restore: RestorePlan): void {
  task.resetScratch();
  const path = (id: unknown) => String(((restore.files.get(Number(id))?.reg as MessageValue | undefined)?.name) ?? '');
  const root = path(plan.fs.root_id);
  if (root && root !== '/') task.call('chroot', [task.putString(root)]);
  const cwd = path(plan.fs.cwd_id);
  if (cwd) task.call('chdir', [task.putString(cwd)]);
  if (plan.fs.umask !== undefined) task.call('umask', [Number(plan.fs.umask)]);
}
