import { message, optional, repeated, required, type SchemaFile } from './define.js';

/** A regular file opened by a task (CRIU `regfile.proto`). */
export const regfileSchema: SchemaFile = {
  reg_file_entry: message({
    id: required(1, 'uint32'),
    flags: required(2, 'uint32', { flags: 'rfile.flags' }),
    pos: required(3, 'uint64'),
    fown: required(5, 'fown_entry'),
    name: required(6, 'string'),
    mnt_id: optional(7, 'sint32', { default: -1 }),
    size: optional(8, 'uint64'),
    ext: optional(9, 'bool'),
    mode: optional(10, 'uint32'),
    // build_id and the checksum fields let restore detect that the file changed since dump
    build_id: repeated(11, 'uint32'),
    checksum: optional(12, 'uint32'),
    checksum_config: optional(13, 'uint32'),
    checksum_parameter: optional(14, 'uint32'),
  }),
};
