import { message, optional, required, type SchemaFile } from './define.js';

/** memfd files: each open of one, and the shared inode behind them (CRIU `memfd.proto`). */
export const memfdSchema: SchemaFile = {
  memfd_file_entry: message({
    id: required(1, 'uint32'),
    flags: required(2, 'uint32', { flags: 'rfile.flags' }),
    pos: required(3, 'uint64'),
    fown: required(4, 'fown_entry'),
    inode_id: required(5, 'uint32'),
  }),
  memfd_inode_entry: message({
    name: required(1, 'string'),
    uid: required(2, 'uint32'),
    gid: required(3, 'uint32'),
    size: required(4, 'uint64'),
    // the contents are dumped as shared memory under this shmem id
    shmid: required(5, 'uint32'),
    seals: required(6, 'uint32', { flags: 'seals.flags' }),
    inode_id: required(7, 'uint64'),
    hugetlb_flag: optional(8, 'uint32'),
    mode: optional(9, 'uint32'),
  }),
};
