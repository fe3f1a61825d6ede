import { message, optional, required, type SchemaFile } from './define.js';

/** One virtual memory area of a task (CRIU `vma.proto`), kept inside mm_entry. */
export const vmaSchema: SchemaFile = {
  vma_entry: message({
    start: required(1, 'uint64', { hex: true }),
    end: required(2, 'uint64', { hex: true }),
    pgoff: required(3, 'uint64'),
    // file id for file mappings, shmem id for shared anonymous ones
    shmid: required(4, 'uint64'),
    prot: required(5, 'uint32', { flags: 'mmap.prot' }),
    flags: required(6, 'uint32', { flags: 'mmap.flags' }),
    status: required(7, 'uint32', { flags: 'mmap.status' }),
    // always -1: a leftover of an older restore model, still required on the wire
    fd: required(8, 'sint64'),
    madv: optional(9, 'uint64', { hex: true }),
    fdflags: optional(10, 'uint32', { hex: true }),
  }),
};
