/**
 * Process-wide settings with no ordering constraint among them, put back once the task's memory is
 * in place (a personality such as READ_IMPLIES_EXEC changes what later mappings get) and before its
 * credentials (a loginuid needs CAP_AUDIT_CONTROL): personality, loginuid, oom_score_adj, the
 * transparent-hugepage opt-out, the child-subreaper flag and the membarrier registrations.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { MessageValue } from '@criu-ts/images';
import { type RemoteTask, RestoreFault } from '@criu-ts/subsystem';
import { checkedCall } from './checked-call.js';

const PR_SET_CHILD_SUBREAPER = 36;
const PR_SET_THP_DISABLE = 41;
/** The MEMBARRIER_CMD_REGISTER_* commands, each one bit of the registration mask. */
const MEMBARRIER_REGISTRATIONS = [1 << 2, 1 << 4, 1 << 6, 1 << 8];
const AT_FDCWD = -100;
const O_WRONLY = 1;
const O_CLOEXEC = 0o2000000;
const STEP = 'task-attrs';

export function restoreTaskAttrs(task: RemoteTask, core: MessageValue, mm: MessageValue, pid: number): void {
  const tc = (core.tc ?? {}) as MessageValue;
  task.resetScratch();
  if (tc.personality !== undefined) {
    const personality = Number(tc.personality);
    if (personality !== parseInt(readProc(pid, 'personality'), 16)) {
      checkedCall(task, STEP, pid, `set personality 0x${personality.toString(16)}`, 'personality', [personality]);
    }
  }
  if (tc.loginuid !== undefined) restoreLoginuid(task, Number(tc.loginuid) >>> 0, pid);
  if (tc.oom_score_adj !== undefined) restoreOomScoreAdj(Number(tc.oom_score_adj), pid);
  if (mm.thp_disabled) checkedCall(task, STEP, pid, 'disable transparent huge pages', 'prctl', [PR_SET_THP_DISABLE, 1, 0, 0, 0]);
  if (tc.child_subreaper) checkedCall(task, STEP, pid, 'become a child subreaper', 'prctl', [PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0]);
  const registrations = Number(tc.membarrier_registration_mask ?? 0);
  for (const command of MEMBARRIER_REGISTRATIONS) {
    if (registrations & command) checkedCall(task, STEP, pid, `register for membarrier command 0x${command.toString(16)}`, 'membarrier', [command, 0, 0]);
  }
}

/**
 * The kernel takes a loginuid only from the task itself, through its own /proc/self/loginuid, and
 * only with CAP_AUDIT_CONTROL; a task inherits its parent's, so most need nothing done.
 */
function restoreLoginuid(task: RemoteTask, loginuid: number, pid: number): void {
  if (loginuid === Number(readProc(pid, 'loginuid')) >>> 0) return;
  task.resetScratch();
  const text = Buffer.from(String(loginuid));
  const fd = checkedCall(task, STEP, pid, 'open /proc/self/loginuid', 'openat', [AT_FDCWD, task.putString('/proc/self/loginuid'), O_WRONLY | O_CLOEXEC, 0]);
  const { ret } = task.try('write', [fd, task.put(text), text.length]);
  checkedCall(task, STEP, pid, 'close /proc/self/loginuid', 'close', [fd]);
  if (ret !== BigInt(text.length)) throw new RestoreFault(STEP, `task ${pid}: cannot set loginuid ${loginuid}: write to /proc/self/loginuid gave ${ret} (EPERM: it is immutable here, or CAP_AUDIT_CONTROL is missing)`, pid);
}

/**
 * Written by us into /proc/PID/oom_score_adj. As for any writer with CAP_SYS_RESOURCE, the kernel
 * also makes the value the lowest the task may later set without that capability.
 */
function restoreOomScoreAdj(value: number, pid: number): void {
  if (value === Number(readProc(pid, 'oom_score_adj'))) return;
  try {
    writeFileSync(`/proc/${pid}/oom_score_adj`, String(value));
  } catch (error) {
    const hint = (error as NodeJS.ErrnoException).code === 'EACCES' ? ' (going below the value it inherited needs CAP_SYS_RESOURCE)' : '';
    throw new RestoreFault(STEP, `task ${pid}: cannot set oom_score_adj ${value}: ${(error as Error).message}${hint}`, pid);
  }
}

function readProc(pid: number, name: string): string {
  try {
    return readFileSync(`/proc/${pid}/${name}`, 'utf8').trim();
  } catch (error) {
    throw new RestoreFault(STEP, `task ${pid}: cannot read /proc/${pid}/${name}: ${(error as Error).message}`, pid);
  }
}
