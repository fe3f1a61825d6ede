import { message, required, type SchemaFile } from './define.js';

/** The F_SETOWN owner of a file, shared by most file kinds (CRIU `fown.proto`). */
export const fownSchema: SchemaFile = {
  fown_entry: message({
    uid: required(1, 'uint32'),
    euid: required(2, 'uint32'),
    signum: required(3, 'uint32'),
    pid_type: required(4, 'uint32'),
    pid: required(5, 'uint32'),
  }),
};
