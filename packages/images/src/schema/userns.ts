import { message, repeated, required, type SchemaFile } from './define.js';

/** A user namespace's uid and gid maps (CRIU `userns.proto`). */
export const usernsSchema: SchemaFile = {
  uid_gid_extent: message({
    first: required(1, 'uint32'),
    lower_first: required(2, 'uint32'),
    count: required(3, 'uint32'),
  }),
  userns_entry: message({
    uid_map: repeated(1, 'uid_gid_extent'),
    gid_map: repeated(2, 'uid_gid_extent'),
  }),
};
