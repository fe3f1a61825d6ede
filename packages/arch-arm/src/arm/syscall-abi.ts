import { decodeArmRegs, encodeArmRegs } from './pt-regs.js';

/**
 * How a 32-bit ARM (EABI) thread executes one system call: nr in r7, arguments in r0..r5, `svc #0`
 * in ARM state, result in r0 (-4095..-1 is -errno). The breakpoint is the undefined instruction the
 * kernel reserves for ptrace breakpoints (it raises SIGTRAP).
 */
export const SVC_INSN = Uint8Array.of(0x00, 0x00, 0x00, 0xef); // svc #0 (0xef000000)
export const BKPT_INSN = Uint8Array.of(0xf0, 0x01, 0xf0, 0xe7); // 0xe7f001f0

const CPSR_T = 0x20; // Thumb state
const CPSR_IT = 0x0600fc00; // Thumb if-then state bits

/**
 * Like arm64, 32-bit ARM rewinds an interrupted syscall before the thread stops, so pc can simply be
 * pointed at the gadget. The gadget is ARM code: Thumb state (and any IT block) is cleared.
 */
export function syscallRegs(raw: Uint8Array, at: bigint, nr: number, args: readonly bigint[]): Uint8Array {
  const r = decodeArmRegs(raw);
  const a = [0, 1, 2, 3, 4, 5].map((i) => Number(BigInt.asUintN(32, args[i] ?? 0n)));
  return encodeArmRegs({ ...r, r0: a[0], r1: a[1], r2: a[2], r3: a[3], r4: a[4], r5: a[5], r7: nr, pc: Number(at), cpsr: r.cpsr & ~(CPSR_T | CPSR_IT) });
}

export function syscallResult(raw: Uint8Array): bigint {
  return BigInt(decodeArmRegs(raw).r0 | 0);
}

export const programCounter = (raw: Uint8Array): bigint => BigInt(decodeArmRegs(raw).pc);
export const stackPointer = (raw: Uint8Array): bigint => BigInt(decodeArmRegs(raw).sp);

/**
 * Nothing to do at dump: the kernel rewound pc over `svc` and reloaded r0 from orig_r0 before the stop.
 * (A restart_block restart re-enters the syscall from the kernel on resume, so a thread dumped there
 * re-runs the original call from the start after restore.)
 */
export function restartSyscall(raw: Uint8Array): Uint8Array {
  return raw;
}
