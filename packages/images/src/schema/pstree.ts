import { message, repeated, required, type SchemaFile } from './define.js';

/** One task of the dumped process tree (CRIU `pstree.proto`). */
export const pstreeSchema: SchemaFile = {
  pstree_entry: message({
    pid: required(1, 'uint32'),
    ppid: required(2, 'uint32'),
    pgid: required(3, 'uint32'),
    sid: required(4, 'uint32'),
    threads: repeated(5, 'uint32'),
  }),
};
