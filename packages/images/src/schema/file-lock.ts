import { message, required, type SchemaFile } from './define.js';

/** A POSIX, flock or OFD lock held on a file (CRIU `file-lock.proto`). */
export const fileLockSchema: SchemaFile = {
  file_lock_entry: message({
    flag: required(1, 'uint32'),
    type: required(2, 'uint32'),
    pid: required(3, 'int32'),
    fd: required(4, 'int32'),
    start: required(5, 'int64'),
    len: required(6, 'int64'),
  }),
};
