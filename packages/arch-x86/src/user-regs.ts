/**
 * The general registers of an x86 thread as PTRACE_GETREGSET NT_PRSTATUS returns them: the kernel's
 * `struct user_regs_struct` (27 u64) for a 64-bit task, `struct user_regs_struct32` (17 u32) for
 * an ia32 (compat) task traced from a 64-bit tracer. The size of the buffer tells which one it is.
 */
export const userRegs64Names = [
  'r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi',
  'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs',
] as const;

export const userRegs32Names = [
  'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'eax', 'xds', 'xes', 'xfs', 'xgs', 'orig_eax', 'eip', 'xcs',
  'eflags', 'esp', 'xss',
] as const;

export type UserRegs64 = Record<(typeof userRegs64Names)[number], bigint>;
export type UserRegs32 = Record<(typeof userRegs32Names)[number], bigint>;

export const USER_REGS64_SIZE = userRegs64Names.length * 8; // 216
export const USER_REGS32_SIZE = userRegs32Names.length * 4; // 68

/** A decoded NT_PRSTATUS: which layout it was, and its registers by the kernel's names. */
export type UserRegs = ({ mode: 'native' } & UserRegs64) | ({ mode: 'compat' } & UserRegs32);

export function decodeUserRegs(raw: Uint8Array): UserRegs {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (raw.byteLength === USER_REGS64_SIZE) {
    const regs = { mode: 'native' } as { mode: 'native' } & UserRegs64;
    userRegs64Names.forEach((name, i) => (regs[name] = view.getBigUint64(i * 8, true)));
    return regs;
  }
  if (raw.byteLength === USER_REGS32_SIZE) {
    const regs = { mode: 'compat' } as { mode: 'compat' } & UserRegs32;
    userRegs32Names.forEach((name, i) => (regs[name] = BigInt(view.getUint32(i * 4, true))));
    return regs;
  }
  throw new RangeError(`NT_PRSTATUS of ${raw.byteLength} bytes is neither user_regs_struct nor user_regs_struct32`);
}

export function encodeUserRegs(regs: UserRegs): Uint8Array {
  if (regs.mode === 'native') {
    const out = new Uint8Array(USER_REGS64_SIZE);
    const view = new DataView(out.buffer);
    userRegs64Names.forEach((name, i) => view.setBigUint64(i * 8, BigInt.asUintN(64, regs[name]), true));
    return out;
  }
  const out = new Uint8Array(USER_REGS32_SIZE);
  const view = new DataView(out.buffer);
  userRegs32Names.forEach((name, i) => view.setUint32(i * 4, Number(BigInt.asUintN(32, regs[name])), true));
  return out;
}
