import { decodePtRegs, encodePtRegs } from './pt-regs.js';

/**
 * How a ppc64 thread executes one system call: nr in r0, arguments in r3..r8, `sc`; the result is in
 * r3 and an error is flagged by CR0.SO (bit 28 of ccr), r3 then holding the positive errno.
 */
export const SC_INSN = Uint8Array.of(0x02, 0x00, 0x00, 0x44); // sc (0x44000002), little-endian
export const TRAP_INSN = Uint8Array.of(0x08, 0x00, 0xe0, 0x7f); // trap (tw 31,0,0: 0x7fe00008)

const CR0_SO = 0x1000_0000n;
/** pt_regs.trap of a thread that entered the kernel through `sc`; low bits are flags. */
const TRAP_SYSCALL = 0xc00n;

const isSyscallTrap = (trap: bigint) => (trap & ~0xfn) === TRAP_SYSCALL;

/**
 * ppc64 applies its restart rule after the signal/ptrace stop, when trap says "syscall": clearing
 * trap keeps it from moving nip back off the gadget (the kernel sets trap again when `sc` runs).
 */
export function syscallRegs(raw: Uint8Array, at: bigint, nr: number, args: readonly bigint[]): Uint8Array {
  const r = decodePtRegs(raw);
  const gpr = [...r.gpr];
  gpr[0] = BigInt(nr);
  for (let i = 0; i < 6; i++) gpr[3 + i] = BigInt.asUintN(64, args[i] ?? 0n);
  return encodePtRegs({ ...r, gpr, nip: at, trap: 0n });
}

export function syscallResult(raw: Uint8Array): bigint {
  const r = decodePtRegs(raw);
  return r.ccr & CR0_SO ? -BigInt.asIntN(64, r.gpr[3]) : BigInt.asIntN(64, r.gpr[3]);
}

export const programCounter = (raw: Uint8Array): bigint => decodePtRegs(raw).nip;
export const stackPointer = (raw: Uint8Array): bigint => decodePtRegs(raw).gpr[1];

const ERESTARTSYS = 512n;
const ERESTARTNOINTR = 513n;
const ERESTARTNOHAND = 514n;
const ERESTART_RESTARTBLOCK = 516n;
const EINTR = 4n;

/**
 * The kernel's restart with no handler to run: nip back over `sc`, r3 = orig_gpr3, error flag cleared;
 * a restart_block restart becomes -EINTR (its kernel state does not survive a dump).
 */
export function restartSyscall(raw: Uint8Array): Uint8Array {
  const r = decodePtRegs(raw);
  if (!isSyscallTrap(r.trap) || !(r.ccr & CR0_SO)) return raw;
  const ret = r.gpr[3];
  const gpr = [...r.gpr];
  if (ret === ERESTARTSYS || ret === ERESTARTNOINTR || ret === ERESTARTNOHAND) {
    gpr[3] = r.orig_gpr3;
    return encodePtRegs({ ...r, gpr, nip: r.nip - 4n, ccr: r.ccr & ~CR0_SO });
  }
  if (ret === ERESTART_RESTARTBLOCK) {
    gpr[3] = EINTR;
    return encodePtRegs({ ...r, gpr });
  }
  return raw;
}
