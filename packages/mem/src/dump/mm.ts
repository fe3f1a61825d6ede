import { readFileSync } from 'node:fs';
import type { MessageValue } from '@criu-ts/images';
import { refuse } from '@criu-ts/subsystem';
import type { DumpRemote } from '@criu-ts/subsystem';
import type { Vma } from './vmas.js';

const PR_GET_DUMPABLE = 3;
const PR_GET_THP_DISABLE = 42;

/** The parts of an mm only the task itself can tell (its current brk, dumpable and THP-disable bits). */
export interface MmRemoteState {
  readonly brk: bigint;
  readonly dumpable: number;
  readonly thpDisabled: boolean;
}

/** Asks the task for its brk (brk(0) returns the current break) and its prctl mm bits. */
export function mmRemoteState(pid: number, remote: DumpRemote): MmRemoteState {
  return {
    brk: remote.call(pid, 'brk', [0]),
    dumpable: Number(remote.call(pid, 'prctl', [PR_GET_DUMPABLE, 0, 0, 0, 0])),
    thpDisabled: remote.call(pid, 'prctl', [PR_GET_THP_DISABLE, 0, 0, 0, 0]) !== 0n,
  };
}

/**
 * mm-PID.img: code, data, stack, brk, argument and environment bounds from /proc/PID/stat (visible to a
 * tracer), the saved auxv from /proc/PID/auxv (up to, not including, AT_NULL), the exe file id and every VMA.
 */
export function mmEntry(pid: number, state: MmRemoteState, exeFileId: number, vmas: readonly Vma[]): MessageValue {
  let stat: string;
  let auxvRaw: Buffer;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    auxvRaw = readFileSync(`/proc/${pid}/auxv`);
  } catch (e) {
    return refuse('mm', pid, `cannot read /proc/${pid}: ${(e as Error).message}`);
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
  const f = (n: number) => BigInt(fields[n - 3] ?? '0');
  const auxv: bigint[] = [];
  for (let off = 0; off + 16 <= auxvRaw.length; off += 16) {
    const type = auxvRaw.readBigUInt64LE(off);
    if (type === 0n) break;
    auxv.push(type, auxvRaw.readBigUInt64LE(off + 8));
  }
  return {
    mm_start_code: f(26),
    mm_end_code: f(27),
    mm_start_data: f(45),
    mm_end_data: f(46),
    mm_start_stack: f(28),
    mm_start_brk: f(47),
    mm_brk: state.brk,
    mm_arg_start: f(48),
    mm_arg_end: f(49),
    mm_env_start: f(50),
    mm_env_end: f(51),
    exe_file_id: exeFileId,
    mm_saved_auxv: auxv,
    vmas: vmas.map((v) => v.entry),
    dumpable: state.dumpable,
    thp_disabled: state.thpDisabled,
  };
}
