import { message, optional, required, type SchemaFile } from './define.js';

/** A task's fs_struct (CRIU `fs.proto`): cwd and root as file ids, and the umask. */
export const fsSchema: SchemaFile = {
  fs_entry: message({
    cwd_id: required(1, 'uint32'),
    root_id: required(2, 'uint32'),
    umask: optional(3, 'uint32'),
  }),
};
