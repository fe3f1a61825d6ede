import { message, optional, required, type SchemaFile } from './define.js';

/** An unlinked file still open by a task, whose contents CRIU saves itself (CRIU `ghost-file.proto`). */
export const ghostFileSchema: SchemaFile = {
  ghost_file_entry: message({
    uid: required(1, 'uint32'),
    gid: required(2, 'uint32'),
    mode: required(3, 'uint32'),
    dev: optional(4, 'uint32', { dev: true }),
    ino: optional(5, 'uint64'),
    rdev: optional(6, 'uint32', { dev: true, odev: true }),
    atim: optional(7, 'timeval'),
    mtim: optional(8, 'timeval'),
    // set when the contents are stored as ghost_chunk_entry pieces (sparse files)
    chunks: optional(9, 'bool'),
    size: optional(10, 'uint64'),
    symlnk_target: optional(11, 'string'),
  }),
  ghost_chunk_entry: message({
    len: required(1, 'uint64'),
    off: required(2, 'uint64'),
  }),
};
