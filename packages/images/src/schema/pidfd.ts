import { message, required, type SchemaFile } from './define.js';

/** A pidfd (CRIU `pidfd.proto`). */
export const pidfdSchema: SchemaFile = {
  pidfd_entry: message({
    id: required(1, 'uint32'),
    ino: required(2, 'uint32'),
    flags: required(3, 'uint32'),
    // pid as seen in the target's own pid namespace; negative if it has exited
    nspid: required(4, 'int32'),
    fown: required(5, 'fown_entry'),
  }),
};
