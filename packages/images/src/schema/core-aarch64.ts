import { message, optional, repeated, required, type SchemaFile } from './define.js';

/** AArch64 thread state (CRIU `core-aarch64.proto`): registers, FP/SIMD and pointer-auth keys. */
export const coreAarch64Schema: SchemaFile = {
  user_aarch64_regs_entry: message({
    regs: repeated(1, 'uint64'),
    sp: required(2, 'uint64'),
    pc: required(3, 'uint64'),
    pstate: required(4, 'uint64'),
  }),
  user_aarch64_fpsimd_context_entry: message({
    vregs: repeated(1, 'uint64'),
    fpsr: required(2, 'uint32'),
    fpcr: required(3, 'uint32'),
  }),
  pac_address_keys: message({
    apiakey_lo: required(1, 'uint64'),
    apiakey_hi: required(2, 'uint64'),
    apibkey_lo: required(3, 'uint64'),
    apibkey_hi: required(4, 'uint64'),
    apdakey_lo: required(5, 'uint64'),
    apdakey_hi: required(6, 'uint64'),
    apdbkey_lo: required(7, 'uint64'),
    apdbkey_hi: required(8, 'uint64'),
    pac_enabled_key: required(9, 'uint64'),
  }),
  pac_generic_keys: message({
    apgakey_lo: required(1, 'uint64'),
    apgakey_hi: required(2, 'uint64'),
  }),
  pac_keys: message({
    pac_address_keys: optional(6, 'pac_address_keys'),
    pac_generic_keys: optional(7, 'pac_generic_keys'),
  }),
  thread_info_aarch64: message({
    clear_tid_addr: required(1, 'uint64', { hex: true }),
    tls: required(2, 'uint64'),
    gpregs: required(3, 'user_aarch64_regs_entry', { hex: true }),
    fpsimd: required(4, 'user_aarch64_fpsimd_context_entry'),
    pac_keys: optional(5, 'pac_keys'),
  }),
};
