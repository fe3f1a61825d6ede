import { message, optional, required, type SchemaFile } from './define.js';

/** A thread's restartable-sequences registration (CRIU `rseq.proto`). */
export const rseqSchema: SchemaFile = {
  rseq_entry: message({
    rseq_abi_pointer: required(1, 'uint64'),
    rseq_abi_size: required(2, 'uint32'),
    signature: required(3, 'uint32'),
    // kept only for a critical section flagged RSEQ_CS_FLAG_NO_RESTART_ON_SIGNAL
    rseq_cs_pointer: optional(4, 'uint64'),
  }),
};
