import { message, required, type SchemaFile } from './define.js';

/** The ipc_perm header shared by SysV shm, msg and sem objects (CRIU `ipc-desc.proto`). */
export const ipcDescSchema: SchemaFile = {
  ipc_desc_entry: message({
    key: required(1, 'uint32'),
    uid: required(2, 'uint32'),
    gid: required(3, 'uint32'),
    cuid: required(4, 'uint32'),
    cgid: required(5, 'uint32'),
    mode: required(6, 'uint32'),
    id: required(7, 'uint32'),
  }),
};
