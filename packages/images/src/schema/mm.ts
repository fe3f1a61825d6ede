import { message, optional, repeated, required, type SchemaFile } from './define.js';

/** A task's address space (CRIU `mm.proto`): the mm_struct fields, auxv and every VMA. */
export const mmSchema: SchemaFile = {
  aio_ring_entry: message({
    id: required(1, 'uint64'),
    nr_req: required(2, 'uint32'),
    ring_len: required(3, 'uint32'),
  }),
  mm_entry: message({
    mm_start_code: required(1, 'uint64', { hex: true }),
    mm_end_code: required(2, 'uint64', { hex: true }),
    mm_start_data: required(3, 'uint64', { hex: true }),
    mm_end_data: required(4, 'uint64', { hex: true }),
    mm_start_stack: required(5, 'uint64', { hex: true }),
    mm_start_brk: required(6, 'uint64', { hex: true }),
    mm_brk: required(7, 'uint64', { hex: true }),
    mm_arg_start: required(8, 'uint64', { hex: true }),
    mm_arg_end: required(9, 'uint64', { hex: true }),
    mm_env_start: required(10, 'uint64', { hex: true }),
    mm_env_end: required(11, 'uint64', { hex: true }),
    exe_file_id: required(12, 'uint32'),
    mm_saved_auxv: repeated(13, 'uint64'),
    vmas: repeated(14, 'vma_entry'),
    dumpable: optional(15, 'int32'),
    aios: repeated(16, 'aio_ring_entry'),
    thp_disabled: optional(17, 'bool'),
  }),
};
