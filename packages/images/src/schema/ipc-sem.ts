import { message, required, type SchemaFile } from './define.js';

/** A SysV semaphore set (CRIU `ipc-sem.proto`); the values follow the entry raw. */
export const ipcSemSchema: SchemaFile = {
  ipc_sem_entry: message({
    desc: required(1, 'ipc_desc_entry'),
    nsems: required(2, 'uint32'),
  }),
};
