import type { MessageValue } from '@criu-ts/images';
import { readProc, statFields } from './proc.js';
import { TASK_STATE } from './task-core.js';

const MTYPE_X86_64 = 1;

/**
 * The core of a zombie, as CRIU writes it: a task_core part only, in state DEAD, with its name and the
 * exit status its parent has yet to collect (/proc/PID/stat field 52, in waitpid's form).
 */
export function zombieCore(pid: number): MessageValue {
  const stat = statFields(pid, 'zombie');
  const tc: MessageValue = {
    task_state: TASK_STATE.DEAD,
    exit_code: Number(stat(52)),
    personality: 0,
    flags: 0,
    blk_sigset: 0n,
    comm: readProc(`/proc/${pid}/comm`, pid, 'zombie').replace(/\n$/, ''),
  };
  return { mtype: MTYPE_X86_64, tc };
}
