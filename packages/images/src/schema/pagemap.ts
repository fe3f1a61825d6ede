import { message, optional, required, type SchemaFile } from './define.js';

/** The index of a pages image (CRIU `pagemap.proto`): a head, then one entry per run of pages. */
export const pagemapSchema: SchemaFile = {
  pagemap_head: message({
    pages_id: required(1, 'uint32'),
  }),
  pagemap_entry: message({
    vaddr: required(1, 'uint64', { hex: true }),
    // 32-bit page count from older images; nr_pages supersedes it when present
    compat_nr_pages: required(2, 'uint32'),
    in_parent: optional(3, 'bool'),
    flags: optional(4, 'uint32', { flags: 'pmap.flags' }),
    nr_pages: optional(5, 'uint64'),
  }),
};
