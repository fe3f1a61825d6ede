/**
 * POSIX timers, recreated with the ids they had (a program holds its timer_t values, which are the
 * kernel's ids) and armed with the time they had left at dump time.
 *
 * The kernel's per-timer overrun count cannot be set, so it starts again from 0. A timer signal that
 * was pending at dump time is queued again as a plain signal with the same siginfo (see
 * restorePendingSignals); the recreated timer does not know of it, so a periodic timer whose signal
 * was still pending when it next expires queues a second one where the original would have counted
 * an overrun. A timer armed with TIMER_ABSTIME comes back as relative: the time left is what the
 * kernel reports.
 */
import type { MessageValue } from '@criu-ts/images';
import { errnoName } from '@criu-ts/ptrace';
import { type RemoteTask, RestoreFault } from '@criu-ts/subsystem';
import { checkedCall } from './checked-call.js';

/** prctl that makes timer_create take the new timer's id from *created_timer_id (kernel 6.17+). */
const PR_TIMER_CREATE_RESTORE_IDS = 77;
const RESTORE_IDS_OFF = 0;
const RESTORE_IDS_ON = 1;
const EINVAL = 22n;
const SIGEV_THREAD_ID = 4;
const SIGEVENT_SIZE = 64;
const STEP = 'posix-timers';

/**
 * The task's POSIX timers, created by its main thread once all its threads exist (a SIGEV_THREAD_ID
 * timer names one). With PR_TIMER_CREATE_RESTORE_IDS each is created with its id; without it (older
 * kernels, or CRIU_TS_TIMER_IDS=in-order to exercise that path) ids come from a per-process counter
 * that starts at 0 in a new process, so timers are created in id order and the ones in between deleted.
 */
export function restorePosixTimers(task: RemoteTask, core: MessageValue, pid: number): void {
  const timers = posixTimers(core);
  if (timers.length === 0) return;
  const byId = process.env.CRIU_TS_TIMER_IDS !== 'in-order' && enableRestoreIds(task, pid);
  let next = 0;
  for (const timer of timers) {
    if (byId) createWithId(task, timer, pid);
    else next = createInOrder(task, timer, pid, next);
  }
  if (byId) checkedCall(task, STEP, pid, 'leave timer id restore mode', 'prctl', [PR_TIMER_CREATE_RESTORE_IDS, RESTORE_IDS_OFF, 0, 0, 0]);
  for (const timer of timers) arm(task, timer, pid);
}

function posixTimers(core: MessageValue): MessageValue[] {
  const timers = ((core.tc as MessageValue | undefined)?.timers as MessageValue | undefined)?.posix as MessageValue[] | undefined;
  return [...(timers ?? [])].sort((a, b) => Number(a.it_id) - Number(b.it_id));
}

/** True when the kernel has PR_TIMER_CREATE_RESTORE_IDS (it answers EINVAL when it does not). */
function enableRestoreIds(task: RemoteTask, pid: number): boolean {
  const { ret } = task.try('prctl', [PR_TIMER_CREATE_RESTORE_IDS, RESTORE_IDS_ON, 0, 0, 0]);
  if (ret === -EINVAL) return false;
  if (ret < 0n) throw new RestoreFault(STEP, `task ${pid}: cannot enter timer id restore mode: prctl failed with ${errnoName(Number(-ret))}`, pid);
  return true;
}

function createWithId(task: RemoteTask, timer: MessageValue, pid: number): void {
  const id = Number(timer.it_id);
  task.resetScratch();
  const idAt = task.put(int32(id));
  checkedCall(task, STEP, pid, `recreate POSIX timer ${id} (clock ${clockOf(timer)}) with its id`, 'timer_create', [clockOf(timer), task.put(sigevent(timer)), idAt]);
  const got = readInt32(task, idAt);
  if (got !== id) throw new RestoreFault(STEP, `task ${pid}: timer_create gave POSIX timer id ${got}, not ${id}`, pid);
}

/**
 * Creates timers until the kernel hands out `timer.it_id`, deleting the ones in between (ids are not
 * reused until the counter wraps); returns the lowest id the next timer can get.
 */
function createInOrder(task: RemoteTask, timer: MessageValue, pid: number, expected: number): number {
  const id = Number(timer.it_id);
  for (;;) {
    task.resetScratch();
    const idAt = task.reserve(4);
    checkedCall(task, STEP, pid, `create POSIX timer ${id}`, 'timer_create', [clockOf(timer), task.put(sigevent(timer)), idAt]);
    const got = readInt32(task, idAt);
    if (got === id) return id + 1;
    if (got > id || got < expected) {
      throw new RestoreFault(STEP, `task ${pid}: the kernel handed out POSIX timer id ${got} where ${expected} was due, so timer ${id} cannot get its id back (PR_TIMER_CREATE_RESTORE_IDS, kernel 6.17+, would give it directly)`, pid);
    }
    checkedCall(task, STEP, pid, `delete the placeholder POSIX timer ${got}`, 'timer_delete', [got]);
    expected = got + 1;
  }
}

/**
 * timer_settime with the dumped interval and time left. A periodic timer that read 0 left (caught at
 * its expiry) is armed to expire at once: 0 would disarm it for good.
 */
function arm(task: RemoteTask, timer: MessageValue, pid: number): void {
  const words = [timer.isec, timer.insec, timer.vsec, timer.vnsec].map((w) => BigInt(w as bigint));
  if (words.every((w) => w === 0n)) return;
  if (words[2] === 0n && words[3] === 0n) words[3] = 1n;
  task.resetScratch();
  const spec = new Uint8Array(32);
  const view = new DataView(spec.buffer);
  words.forEach((w, i) => view.setBigInt64(i * 8, w, true));
  checkedCall(task, STEP, pid, `arm POSIX timer ${timer.it_id}`, 'timer_settime', [Number(timer.it_id), 0, task.put(spec), 0]);
}

/** struct sigevent: sigev_value (8 bytes), sigev_signo, sigev_notify, then the target thread id. */
function sigevent(timer: MessageValue): Uint8Array {
  const bytes = new Uint8Array(SIGEVENT_SIZE);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(timer.sival_ptr as bigint), true);
  view.setInt32(8, Number(timer.si_signo), true);
  view.setInt32(12, Number(timer.it_sigev_notify), true);
  if (Number(timer.it_sigev_notify) & SIGEV_THREAD_ID) view.setInt32(16, Number(timer.notify_thread_id ?? 0), true);
  return bytes;
}

/** The clock id as the kernel takes it: an int, negative for a CPU clock of a given task. */
function clockOf(timer: MessageValue): number {
  return Number(timer.clock_id) | 0;
}

function int32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, value, true);
  return bytes;
}

function readInt32(task: RemoteTask, at: bigint): number {
  const bytes = task.read(at, 4);
  return new DataView(bytes.buffer, bytes.byteOffset).getInt32(0, true);
}
