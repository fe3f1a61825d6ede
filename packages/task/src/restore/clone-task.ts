/**
 * New tasks with the PIDs and TIDs they had: clone3 with set_tid, run by their future parent (or,
 * for a thread, by a thread of its process). The new task is attached to us from birth
 * (PTRACE_O_TRACEFORK/TRACECLONE), stopped before it runs a single instruction.
 */
import { type RemoteTask, RestoreFault } from '@criu-ts/subsystem';

const CLONE_VM = 0x100;
const CLONE_FS = 0x200;
const CLONE_FILES = 0x400;
const CLONE_SIGHAND = 0x800;
const CLONE_THREAD = 0x10000;
const CLONE_SYSVSEM = 0x40000;
const SIGCHLD = 17;
const EEXIST = 17;
const CLONE_ARGS_SIZE = 88;

export type CloneKind = 'child' | 'thread';

/**
 * Clones a task with id `id` from `parent`. The restored root is cloned as the donor's child and
 * passes to init when the donor goes (clone3 refuses CLONE_PARENT with an exit signal, and a child
 * with no exit signal is one init's plain wait() never reaps).
 */
export function cloneWithId(parent: RemoteTask, id: number, kind: CloneKind): number {
  const flags =
    kind === 'thread' ? CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM : 0;
  const setTid = new Uint8Array(4);
  new DataView(setTid.buffer).setInt32(0, id, true);
  const setTidAt = parent.put(setTid);
  const args = new Uint8Array(CLONE_ARGS_SIZE);
  const view = new DataView(args.buffer);
  view.setBigUint64(0, BigInt(flags), true);
  view.setBigUint64(32, BigInt(kind === 'thread' ? 0 : SIGCHLD), true); // exit_signal
  view.setBigUint64(64, setTidAt, true); // set_tid
  view.setBigUint64(72, 1n, true); // set_tid_size
  const { ret } = parent.try('clone3', [parent.put(args), CLONE_ARGS_SIZE]);
  parent.resetScratch();
  if (ret === -BigInt(EEXIST)) throw new RestoreFault('clone', `PID ${id} is in use: a restored task must get it back`, id);
  if (ret < 0n) throw new RestoreFault('clone', `clone3 with set_tid ${id} failed in ${parent.tid}: errno ${-ret}`, id);
  if (Number(ret) !== id) throw new RestoreFault('clone', `clone3 gave ${ret}, not ${id}`, id);
  // remoteSyscall has already taken the newborn's first stop: it waits, traced, before its first instruction
  return id;
}
