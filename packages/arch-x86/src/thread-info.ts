import { decodeFxsave, encodeFxsave, FXSAVE_SIZE, type Fxsave } from './fxsave.js';
import { decodeUserDescs, encodeUserDescs, type UserDesc } from './user-desc.js';
import { decodeUserRegs, encodeUserRegs, type UserRegs } from './user-regs.js';
import { decodeXsaveExtended, encodeXsaveExtended, xcr0Of, xsaveSizeFor, type XsaveExtended } from './xsave.js';

/** A thread's register state as ptrace hands it over: raw regset buffers by name. */
export interface ThreadRegs {
  /** NT_PRSTATUS */
  gpregs: Uint8Array;
  /** fpregs: NT_PRFPREG (512); xstate: NT_X86_XSTATE; tls: NT_386_TLS (3 user_desc) */
  regsets: Record<string, Uint8Array>;
  /** set_tid_address / CLONE_CHILD_CLEARTID address (PR_GET_TID_ADDRESS) */
  clearTidAddr: bigint;
}

/** CRIU's user_x86_regs_entry. */
export interface UserX86RegsEntry {
  r15: bigint; r14: bigint; r13: bigint; r12: bigint; bp: bigint; bx: bigint; r11: bigint; r10: bigint;
  r9: bigint; r8: bigint; ax: bigint; cx: bigint; dx: bigint; si: bigint; di: bigint; orig_ax: bigint;
  ip: bigint; cs: bigint; flags: bigint; sp: bigint; ss: bigint; fs_base: bigint; gs_base: bigint;
  ds: bigint; es: bigint; fs: bigint; gs: bigint;
  /** user_x86_regs_mode: NATIVE = 1, COMPAT = 2 */
  mode: number;
}

/** CRIU's user_x86_xsave_entry (the CET member is supervisor state, not reachable through ptrace). */
export type UserX86XsaveEntry = XsaveExtended;

/** CRIU's user_x86_fpregs_entry. */
export interface UserX86FpregsEntry extends Fxsave {
  xsave?: UserX86XsaveEntry;
}

/** CRIU's thread_info_x86. */
export interface ThreadInfoX86 {
  clear_tid_addr: bigint;
  gpregs: UserX86RegsEntry;
  fpregs: UserX86FpregsEntry;
  tls: UserDesc[];
}

export const USER_X86_REGS_MODE = { NATIVE: 1, COMPAT: 2 } as const;

/** Converts a thread's registers to the core image's thread_info_x86. */
export function toThreadInfo(regs: ThreadRegs): ThreadInfoX86 {
  const xstate = regs.regsets.xstate;
  const fpSource = xstate && xstate.byteLength >= FXSAVE_SIZE ? xstate : regs.regsets.fpregs;
  if (!fpSource) throw new Error('thread_info_x86 needs the fpregs or xstate regset');
  const fpregs: UserX86FpregsEntry = decodeFxsave(fpSource);
  if (xstate && xstate.byteLength > FXSAVE_SIZE) fpregs.xsave = decodeXsaveExtended(xstate);
  return {
    clear_tid_addr: regs.clearTidAddr,
    gpregs: toRegsEntry(decodeUserRegs(regs.gpregs)),
    fpregs,
    tls: regs.regsets.tls ? decodeUserDescs(regs.regsets.tls) : [],
  };
}

/**
 * Converts thread_info_x86 back to regset buffers. Repeated fields may be absent (the image codec
 * drops empty ones): absent reads as empty. `xstateSize` is the size the running kernel
 * wants for NT_X86_XSTATE (it refuses any other size on PTRACE_SETREGSET); without it, the smallest
 * area that holds the saved components (XCR0 travels in the fpregs padding words).
 */
export function fromThreadInfo(ti: ThreadInfoX86, opts: { xstateSize?: number } = {}): ThreadRegs {
  const fpregs = new Uint8Array(FXSAVE_SIZE);
  encodeFxsave(ti.fpregs, fpregs);
  const regsets: Record<string, Uint8Array> = { fpregs };
  if (ti.fpregs.xsave) {
    const xstate = new Uint8Array(opts.xstateSize ?? xsaveSizeFor(xcr0Of(fpregs)));
    xstate.set(fpregs);
    encodeXsaveExtended(ti.fpregs.xsave, xstate);
    regsets.xstate = xstate;
  }
  if (ti.tls?.length) regsets.tls = encodeUserDescs(ti.tls);
  return { gpregs: encodeUserRegs(fromRegsEntry(ti.gpregs)), regsets, clearTidAddr: ti.clear_tid_addr };
}

function toRegsEntry(r: UserRegs): UserX86RegsEntry {
  if (r.mode === 'native') {
    return {
      r15: r.r15, r14: r.r14, r13: r.r13, r12: r.r12, bp: r.rbp, bx: r.rbx, r11: r.r11, r10: r.r10,
      r9: r.r9, r8: r.r8, ax: r.rax, cx: r.rcx, dx: r.rdx, si: r.rsi, di: r.rdi, orig_ax: r.orig_rax,
      ip: r.rip, cs: r.cs, flags: r.eflags, sp: r.rsp, ss: r.ss, fs_base: r.fs_base, gs_base: r.gs_base,
      ds: r.ds, es: r.es, fs: r.fs, gs: r.gs, mode: USER_X86_REGS_MODE.NATIVE,
    };
  }
  // A compat thread keeps the 64-bit-only registers zero; orig_eax is sign-extended like the kernel does.
  return {
    r15: 0n, r14: 0n, r13: 0n, r12: 0n, bp: r.ebp, bx: r.ebx, r11: 0n, r10: 0n, r9: 0n, r8: 0n,
    ax: r.eax, cx: r.ecx, dx: r.edx, si: r.esi, di: r.edi, orig_ax: BigInt.asUintN(64, BigInt.asIntN(32, r.orig_eax)),
    ip: r.eip, cs: r.xcs, flags: r.eflags, sp: r.esp, ss: r.xss, fs_base: 0n, gs_base: 0n,
    ds: r.xds, es: r.xes, fs: r.xfs, gs: r.xgs, mode: USER_X86_REGS_MODE.COMPAT,
  };
}

function fromRegsEntry(e: UserX86RegsEntry): UserRegs {
  if (e.mode !== USER_X86_REGS_MODE.COMPAT) {
    return {
      mode: 'native',
      r15: e.r15, r14: e.r14, r13: e.r13, r12: e.r12, rbp: e.bp, rbx: e.bx, r11: e.r11, r10: e.r10,
      r9: e.r9, r8: e.r8, rax: e.ax, rcx: e.cx, rdx: e.dx, rsi: e.si, rdi: e.di, orig_rax: e.orig_ax,
      rip: e.ip, cs: e.cs, eflags: e.flags, rsp: e.sp, ss: e.ss, fs_base: e.fs_base, gs_base: e.gs_base,
      ds: e.ds, es: e.es, fs: e.fs, gs: e.gs,
    };
  }
  const lo = (v: bigint) => BigInt.asUintN(32, v);
  return {
    mode: 'compat',
    ebx: lo(e.bx), ecx: lo(e.cx), edx: lo(e.dx), esi: lo(e.si), edi: lo(e.di), ebp: lo(e.bp), eax: lo(e.ax),
    xds: lo(e.ds), xes: lo(e.es), xfs: lo(e.fs), xgs: lo(e.gs), orig_eax: lo(e.orig_ax), eip: lo(e.ip),
    xcs: lo(e.cs), eflags: lo(e.flags), esp: lo(e.sp), xss: lo(e.ss),
  };
}
