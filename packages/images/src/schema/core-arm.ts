import { message, repeated, required, type SchemaFile } from './define.js';

/** 32-bit ARM thread state (CRIU `core-arm.proto`): core registers and VFP state. */
export const coreArmSchema: SchemaFile = {
  user_arm_regs_entry: message({
    r0: required(1, 'uint32'),
    r1: required(2, 'uint32'),
    r2: required(3, 'uint32'),
    r3: required(4, 'uint32'),
    r4: required(5, 'uint32'),
    r5: required(6, 'uint32'),
    r6: required(7, 'uint32'),
    r7: required(8, 'uint32'),
    r8: required(9, 'uint32'),
    r9: required(10, 'uint32'),
    r10: required(11, 'uint32'),
    fp: required(12, 'uint32'),
    ip: required(13, 'uint32'),
    sp: required(14, 'uint32'),
    lr: required(15, 'uint32'),
    pc: required(16, 'uint32'),
    cpsr: required(17, 'uint32'),
    orig_r0: required(18, 'uint32'),
  }),
  user_arm_vfpstate_entry: message({
    vfp_regs: repeated(1, 'uint64'),
    fpscr: required(2, 'uint32'),
    fpexc: required(3, 'uint32'),
    fpinst: required(4, 'uint32'),
    fpinst2: required(5, 'uint32'),
  }),
  thread_info_arm: message({
    clear_tid_addr: required(1, 'uint64', { hex: true }),
    tls: required(2, 'uint32'),
    gpregs: required(3, 'user_arm_regs_entry', { hex: true }),
    fpstate: required(4, 'user_arm_vfpstate_entry'),
  }),
};
