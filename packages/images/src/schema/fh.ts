import { enumeration, message, optional, repeated, required, type SchemaFile } from './define.js';

/** Kernel file handles (name_to_handle_at) and the inode-to-path cache (CRIU `fh.proto`). */
export const fhSchema: SchemaFile = {
  fh_entry_sizes: enumeration({
    min_entries: 16,
  }),
  fh_entry: message({
    bytes: required(1, 'uint32'),
    type: required(2, 'uint32'),
    // the opaque handle as 64-bit words, at least min_entries of them
    handle: repeated(3, 'uint64'),
    path: optional(4, 'string'),
    mnt_id: optional(5, 'uint32'),
  }),
  irmap_cache_entry: message({
    dev: required(1, 'uint32', { dev: true, odev: true }),
    inode: required(2, 'uint64'),
    path: required(3, 'string'),
  }),
};
