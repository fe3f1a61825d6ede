import { message, optional, repeated, required, type SchemaFile } from './define.js';

/** s390 thread state (CRIU `core-s390.proto`): PSW, GPRs, FP/vector, guarded-storage and RI control blocks. */
export const coreS390Schema: SchemaFile = {
  user_s390_regs_entry: message({
    psw_mask: required(1, 'uint64'),
    psw_addr: required(2, 'uint64'),
    gprs: repeated(3, 'uint64'),
    acrs: repeated(4, 'uint32'),
    orig_gpr2: required(5, 'uint64'),
    system_call: required(6, 'uint32'),
  }),
  user_s390_vxrs_low_entry: message({
    regs: repeated(1, 'uint64'),
  }),
  user_s390_vxrs_high_entry: message({
    // two words per 128-bit register, high word first
    regs: repeated(1, 'uint64'),
  }),
  user_s390_fpregs_entry: message({
    fpc: required(1, 'uint32'),
    fprs: repeated(2, 'uint64'),
  }),
  user_s390_gs_cb_entry: message({
    regs: repeated(1, 'uint64'),
  }),
  user_s390_ri_entry: message({
    ri_on: required(1, 'uint32'),
    regs: repeated(2, 'uint64'),
  }),
  thread_info_s390: message({
    clear_tid_addr: required(1, 'uint64', { hex: true }),
    gpregs: required(2, 'user_s390_regs_entry', { hex: true }),
    fpregs: required(3, 'user_s390_fpregs_entry', { hex: true }),
    vxrs_low: optional(4, 'user_s390_vxrs_low_entry', { hex: true }),
    vxrs_high: optional(5, 'user_s390_vxrs_high_entry', { hex: true }),
    gs_cb: optional(6, 'user_s390_gs_cb_entry', { hex: true }),
    // the guarded-storage broadcast block, same layout as gs_cb
    gs_bc: optional(7, 'user_s390_gs_cb_entry', { hex: true }),
    ri_cb: optional(8, 'user_s390_ri_entry', { hex: true }),
  }),
};
