import { decodeUserPtRegs, encodeUserPtRegs } from './user-pt-regs.js';

/**
 * How an aarch64 thread executes one system call: nr in x8, arguments in x0..x5, `svc #0`, result in
 * x0 (-4095..-1 is -errno).
 */
export const SVC_INSN = Uint8Array.of(0x01, 0x00, 0x00, 0xd4); // svc #0 (0xd4000001)
export const BRK_INSN = Uint8Array.of(0x00, 0x00, 0x20, 0xd4); // brk #0 (0xd4200000)

/**
 * arm64 applies its syscall-restart rewind before the thread reaches a signal or ptrace stop (and
 * forgets the syscall number then), so a stopped thread's pc is not rewound again when it resumes
 * elsewhere: pointing pc at the gadget is enough.
 */
export function syscallRegs(raw: Uint8Array, at: bigint, nr: number, args: readonly bigint[]): Uint8Array {
  const r = decodeUserPtRegs(raw);
  const regs = [...r.regs];
  for (let i = 0; i < 6; i++) regs[i] = BigInt.asUintN(64, args[i] ?? 0n);
  regs[8] = BigInt(nr);
  return encodeUserPtRegs({ ...r, regs, pc: at });
}

export function syscallResult(raw: Uint8Array): bigint {
  return BigInt.asIntN(64, decodeUserPtRegs(raw).regs[0]);
}

export const programCounter = (raw: Uint8Array): bigint => decodeUserPtRegs(raw).pc;
export const stackPointer = (raw: Uint8Array): bigint => decodeUserPtRegs(raw).sp;

/**
 * Nothing to do at dump: the kernel has already rewound an interrupted syscall (pc back over `svc`,
 * x0 = orig_x0) by the time the thread stops, and a restart_block restart shows up as x8 =
 * restart_syscall, which returns -EINTR in a restored process (its kernel restart state is gone).
 */
export function restartSyscall(raw: Uint8Array): Uint8Array {
  return raw;
}
