import { message, repeated, required, type SchemaFile } from './define.js';

/** LoongArch64 thread state (CRIU `core-loongarch64.proto`). */
export const coreLoongarch64Schema: SchemaFile = {
  user_loongarch64_gpregs_entry: message({
    regs: repeated(1, 'uint64'),
    pc: required(2, 'uint64'),
  }),
  user_loongarch64_fpregs_entry: message({
    regs: repeated(1, 'uint64'),
    fcc: required(2, 'uint64'),
    fcsr: required(3, 'uint32'),
  }),
  thread_info_loongarch64: message({
    clear_tid_addr: required(1, 'uint64', { hex: true }),
    tls: required(2, 'uint64'),
    gpregs: required(3, 'user_loongarch64_gpregs_entry', { hex: true }),
    fpregs: required(4, 'user_loongarch64_fpregs_entry', { hex: true }),
  }),
};
