import type { Arch } from './arch.js';
import { ENOENT, ESRCH, fail } from './errors.js';
import { readMaps } from './proc.js';
import { readMemoryRaw } from './memory.js';
import { forgetReturnFrames } from './return-frame.js';

/**
 * Where a remote syscall executes. Two ways, both leaving nothing behind between calls:
 * - 'vdso': a syscall instruction that already exists in the task's vDSO (its fallback paths have
 *   one), run with PTRACE_SINGLESTEP; nothing is written into the task.
 * - 'patch': `syscall; <breakpoint>` written over the first bytes of an executable mapping, run with
 *   PTRACE_CONT to the breakpoint, and the original bytes put back after every call. For tasks
 *   without a vDSO. The patched page becomes a private (anonymous) copy.
 */
export type GadgetMode = 'vdso' | 'patch';

export interface Gadget {
  readonly mode: GadgetMode;
  readonly at: bigint;
}

/**
 * Gadget addresses by tid. Reading /proc/PID/maps costs more than the remote call itself, so the
 * address is kept until forgetGadgets (called on freeze, and on an exec seen during a call); a caller
 * that moves the vDSO or unmaps the patch site must call it too, or pass the address explicitly.
 */
const cache = new Map<string, Gadget>();

export function forgetGadgets(): void {
  cache.clear();
  forgetReturnFrames();
}

/** Finds the syscall instruction (`insn`, the arch's by default) in the task's vDSO. */
export function findVdsoGadget(tid: number, arch: Arch, insn: Uint8Array = arch.syscallInsn): Gadget {
  const maps = readMaps(tid);
  if (!maps || maps.length === 0) fail('open(/proc/PID/maps)', tid, ESRCH, 'no memory map (gone or exiting)');
  const vdso = maps.find((m) => m.path === '[vdso]');
  if (!vdso) fail('find vDSO gadget', tid, ENOENT, 'the task has no [vdso]');
  const bytes = readMemoryRaw(tid, vdso.start, Number(vdso.end - vdso.start));
  const step = insn.byteLength >= 4 ? 4 : 1; // fixed-width ISAs: instructions are aligned
  for (let i = 0; i + insn.byteLength <= bytes.byteLength; i += step) {
    let hit = true;
    for (let j = 0; j < insn.byteLength && hit; j++) hit = bytes[i + j] === insn[j];
    if (hit) return { mode: 'vdso', at: vdso.start + BigInt(i) };
  }
  return fail('find vDSO gadget', tid, ENOENT, 'no syscall instruction in the vDSO');
}

/** The address the patch gadget is written at: the start of the first executable, file-backed mapping. */
export function findPatchSite(tid: number): Gadget {
  const maps = readMaps(tid);
  if (!maps || maps.length === 0) fail('open(/proc/PID/maps)', tid, ESRCH, 'no memory map (gone or exiting)');
  const exec = maps.find((m) => m.perms[2] === 'x' && m.path.startsWith('/')) ?? maps.find((m) => m.perms[2] === 'x' && !m.path.startsWith('['));
  if (!exec) fail('find patch site', tid, ENOENT, 'no executable mapping');
  return { mode: 'patch', at: exec.start };
}

export function findGadget(tid: number, arch: Arch, mode: GadgetMode, insn: Uint8Array = arch.syscallInsn): Gadget {
  const key = `${mode}:${tid}:${insn.join(',')}`;
  let gadget = cache.get(key);
  if (!gadget) {
    gadget = mode === 'vdso' ? findVdsoGadget(tid, arch, insn) : findPatchSite(tid);
    cache.set(key, gadget);
  }
  return gadget;
}
