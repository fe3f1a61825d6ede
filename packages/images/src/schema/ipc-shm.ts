import { message, optional, required, type SchemaFile } from './define.js';

/** A SysV shared memory segment (CRIU `ipc-shm.proto`). */
export const ipcShmSchema: SchemaFile = {
  ipc_shm_entry: message({
    desc: required(1, 'ipc_desc_entry'),
    size: required(2, 'uint64'),
    // contents are in pagemap/pages images rather than inline after the entry
    in_pagemaps: optional(3, 'bool'),
    hugetlb_flag: optional(4, 'uint32'),
  }),
};
