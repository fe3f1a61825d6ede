import type { MessageValue } from '@criu-ts/images';
import { getRseqConfiguration, getSigmask, getThreadRegs, type Arch } from '@criu-ts/ptrace';
import { toThreadInfo, decodeUserRegs, encodeUserRegs, type ThreadInfoX86 } from '@criu-ts/arch-x86';
import { dumpCreds } from './creds.js';
import { must } from '@criu-ts/subsystem';
import { pendingSignals } from './pending-signals.js';
import { readProc } from './proc.js';
import { dumpSched } from './sched.js';
import type { DumpRemote } from '@criu-ts/subsystem';

const PR_GET_PDEATHSIG = 2;
const PR_GET_TID_ADDRESS = 40;
const RSEQ_CS_FLAG_NO_RESTART_ON_SIGNAL = 1;

/** One thread's registers and thread_core_entry, as CRIU writes them into core-TID.img. */
export interface ThreadCore {
  readonly tid: number;
  readonly threadInfo: ThreadInfoX86;
  readonly threadCore: MessageValue;
  /** The blocked-signal mask; the leader's goes into task_core_entry, the others' into thread_core_entry. */
  readonly blkSigset: bigint;
  /** The saved stack pointer (for stats and checks). */
  readonly sp: bigint;
}

/**
 * Collects one stopped thread's state: registers (rewound out of an interrupted syscall, and out of an
 * rseq critical section, as the kernel would do on the way back to user space), the robust-futex list,
 * the alternate signal stack, clear_tid address, scheduling (with CPU affinity and timer slack), creds,
 * rseq registration and comm.
 */
export function dumpThreadCore(pid: number, tid: number, arch: Arch, remote: DumpRemote): ThreadCore {
  const step = 'thread-core';
  const regs = must(step, tid, getThreadRegs(tid, arch));
  let gpregs = arch.restartSyscall(regs.gpregs);
  const blkSigset = must(step, tid, getSigmask(tid));
  const rseq = must(step, tid, getRseqConfiguration(tid));
  const scratch = remote.scratch(pid);
  const u64 = (off: number) => new DataView(remote.read(pid, scratch + BigInt(off), 8).buffer).getBigUint64(0, true);

  let rseqCsPointer: bigint | undefined;
  if (rseq.rseq_abi_pointer !== 0n) ({ gpregs, rseqCsPointer } = leaveRseqCriticalSection(pid, gpregs, rseq.rseq_abi_pointer, remote));

  remote.call(tid, 'get_robust_list', [0, scratch, scratch + 8n]);
  const futexRla = u64(0);
  const futexRlaLen = Number(u64(8));

  remote.call(tid, 'sigaltstack', [0, scratch]);
  const ss = remote.read(pid, scratch, 24);
  const ssView = new DataView(ss.buffer, ss.byteOffset);
  const sas = { ss_sp: ssView.getBigUint64(0, true), ss_size: ssView.getBigUint64(16, true), ss_flags: ssView.getInt32(8, true) >>> 0 };

  remote.call(tid, 'prctl', [PR_GET_TID_ADDRESS, scratch, 0, 0, 0]);
  const clearTidAddr = u64(0);
  remote.write(pid, scratch, new Uint8Array(8));
  remote.call(tid, 'prctl', [PR_GET_PDEATHSIG, scratch, 0, 0, 0]);
  const pdeathSig = Number(u64(0) & 0xffff_ffffn);

  const threadCore: MessageValue = {
    futex_rla: futexRla,
    futex_rla_len: futexRlaLen,
    ...dumpSched(pid, tid, remote),
  };
  if (tid !== pid) threadCore.blk_sigset = blkSigset;
  threadCore.sas = sas;
  if (pdeathSig) threadCore.pdeath_sig = pdeathSig;
  threadCore.signals_p = pendingSignals(tid, false, step);
  threadCore.creds = dumpCreds(pid, tid, remote);
  threadCore.comm = readProc(`/proc/${pid}/task/${tid}/comm`, pid, step).replace(/\n$/, '');
  if (rseq.rseq_abi_pointer !== 0n) {
    const entry: MessageValue = { rseq_abi_pointer: rseq.rseq_abi_pointer, rseq_abi_size: rseq.rseq_abi_size, signature: rseq.signature >>> 0 };
    if (rseqCsPointer !== undefined) entry.rseq_cs_pointer = rseqCsPointer;
    threadCore.rseq_entry = entry;
  }

  const regsets = regs.regsets.tls ? regs.regsets : { ...regs.regsets, tls: readTls(pid, tid, remote) };
  const threadInfo = toThreadInfo({ gpregs, regsets, clearTidAddr });
  return { tid, threadInfo, threadCore, blkSigset, sp: arch.stackPointer(gpregs) };
}

const GDT_ENTRY_TLS_MIN = 12;
const GDT_ENTRY_TLS_ENTRIES = 3;

/**
 * The thread's three GDT TLS slots (struct user_desc each). NT_386_TLS is a regset of 32-bit tracees
 * only, and the 64-bit get_thread_area syscall is not wired up on this kernel (ENOSYS); CRIU's parasite
 * asks through int 0x80. Without a PTRACE_GET_THREAD_AREA in @criu-ts/ptrace, a slot that cannot be read
 * is written as the kernel reports an unused one (read_exec_only | seg_not_present): a 64-bit program
 * keeps its TLS in fs_base, which is saved with the registers.
 */
function readTls(pid: number, tid: number, remote: DumpRemote): Uint8Array {
  const scratch = remote.scratch(pid);
  const out = new Uint8Array(16 * GDT_ENTRY_TLS_ENTRIES);
  const view = new DataView(out.buffer);
  for (let i = 0; i < GDT_ENTRY_TLS_ENTRIES; i++) {
    const desc = new Uint8Array(16);
    new DataView(desc.buffer).setUint32(0, GDT_ENTRY_TLS_MIN + i, true);
    remote.write(pid, scratch, desc);
    const r = getThreadAreaMissing ? -38n : remote.callRaw(tid, 'get_thread_area', [scratch]);
    if (r === 0n) {
      out.set(remote.read(pid, scratch, 16), i * 16);
      continue;
    }
    view.setUint32(i * 16, GDT_ENTRY_TLS_MIN + i, true);
    view.setUint32(i * 16 + 12, EMPTY_SLOT_BITS, true);
    if (r === -38n) getThreadAreaMissing = true; // ENOSYS: no need to ask again
  }
  return out;
}

let getThreadAreaMissing = false;

/** user_desc bit fields of an unused slot: read_exec_only (bit 3) and seg_not_present (bit 5). */
const EMPTY_SLOT_BITS = (1 << 3) | (1 << 5);

/**
 * A thread stopped inside an rseq critical section would, on its way back to user space, be sent to
 * the section's abort handler by the kernel; a restored thread is not, so the dump does it: ip moves to
 * abort_ip. A section flagged NO_RESTART_ON_SIGNAL keeps its ip, and its descriptor is saved instead.
 */
function leaveRseqCriticalSection(pid: number, gpregs: Uint8Array, rseqAbi: bigint, remote: DumpRemote): { gpregs: Uint8Array; rseqCsPointer?: bigint } {
  // struct rseq { u32 cpu_id_start; u32 cpu_id; u64 rseq_cs; u32 flags; ... }
  const abi = remote.read(pid, rseqAbi, 16);
  const csPtr = new DataView(abi.buffer, abi.byteOffset).getBigUint64(8, true);
  if (csPtr === 0n) return { gpregs };
  // struct rseq_cs { u32 version; u32 flags; u64 start_ip; u64 post_commit_offset; u64 abort_ip; }
  const cs = remote.read(pid, csPtr, 32);
  const v = new DataView(cs.buffer, cs.byteOffset);
  const flags = v.getUint32(4, true);
  const start = v.getBigUint64(8, true);
  const len = v.getBigUint64(16, true);
  const abort = v.getBigUint64(24, true);
  const regs = decodeUserRegs(gpregs);
  if (regs.mode !== 'native') return { gpregs };
  if (regs.rip < start || regs.rip >= start + len) return { gpregs };
  if (flags & RSEQ_CS_FLAG_NO_RESTART_ON_SIGNAL) return { gpregs, rseqCsPointer: csPtr };
  return { gpregs: encodeUserRegs({ ...regs, rip: abort }) };
}
