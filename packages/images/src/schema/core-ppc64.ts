import { message, optional, repeated, required, type SchemaFile } from './define.js';

/** ppc64 thread state (CRIU `core-ppc64.proto`): GPRs, FP, Altivec, VSX and transactional state. */
export const corePpc64Schema: SchemaFile = {
  user_ppc64_regs_entry: message({
    gpr: repeated(1, 'uint64'),
    nip: required(2, 'uint64'),
    msr: required(3, 'uint64'),
    orig_gpr3: required(4, 'uint64'),
    ctr: required(5, 'uint64'),
    link: required(6, 'uint64'),
    xer: required(7, 'uint64'),
    ccr: required(8, 'uint64'),
    trap: required(9, 'uint64'),
    // transactional-memory SPRs (POWER8 and later)
    texasr: optional(10, 'uint64'),
    tfhar: optional(11, 'uint64'),
    tfiar: optional(12, 'uint64'),
  }),
  user_ppc64_fpstate_entry: message({
    fpregs: repeated(1, 'uint64'),
  }),
  user_ppc64_vrstate_entry: message({
    // two words per 128-bit VR, high word first; the last pair holds VSCR
    vrregs: repeated(1, 'uint64'),
    vrsave: required(2, 'uint32'),
  }),
  user_ppc64_vsxstate_entry: message({
    // only the low halves of VSR0-31: the high halves alias the FPRs
    vsxregs: repeated(1, 'uint64'),
  }),
  // the checkpointed register state of a thread suspended inside a transaction
  user_ppc64_tm_regs_entry: message({
    gpregs: required(1, 'user_ppc64_regs_entry'),
    fpstate: optional(2, 'user_ppc64_fpstate_entry'),
    vrstate: optional(3, 'user_ppc64_vrstate_entry'),
    vsxstate: optional(4, 'user_ppc64_vsxstate_entry'),
  }),
  thread_info_ppc64: message({
    clear_tid_addr: required(1, 'uint64', { hex: true }),
    gpregs: required(2, 'user_ppc64_regs_entry', { hex: true }),
    fpstate: optional(3, 'user_ppc64_fpstate_entry'),
    vrstate: optional(4, 'user_ppc64_vrstate_entry'),
    vsxstate: optional(5, 'user_ppc64_vsxstate_entry'),
    tmstate: optional(6, 'user_ppc64_tm_regs_entry'),
  }),
};
