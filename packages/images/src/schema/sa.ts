import { message, optional, required, type SchemaFile } from './define.js';

/** One signal's disposition (CRIU `sa.proto`), as the kernel's struct sigaction. */
export const saSchema: SchemaFile = {
  sa_entry: message({
    sigaction: required(1, 'uint64', { hex: true }),
    flags: required(2, 'uint64', { hex: true }),
    restorer: required(3, 'uint64', { hex: true }),
    mask: required(4, 'uint64', { hex: true }),
    // the task runs in 32-bit compat mode, so restore uses the compat sigaction layout
    compat_sigaction: optional(5, 'bool'),
    // signals 64..127 on architectures whose sigset is wider than 64 bits
    mask_extended: optional(6, 'uint64', { hex: true }),
  }),
};
