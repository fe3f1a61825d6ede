import { message, optional, required, type SchemaFile } from './define.js';

/** An AF_UNIX socket (CRIU `sk-unix.proto`). */
export const skUnixSchema: SchemaFile = {
  file_perms_entry: message({
    mode: required(1, 'uint32'),
    uid: required(2, 'uint32'),
    gid: required(3, 'uint32'),
  }),
  unix_sk_entry: message({
    // id links the socket to its fdinfo entry; ino is what a peer's `peer` refers to
    id: required(1, 'uint32'),
    ino: required(2, 'uint32'),
    type: required(3, 'uint32', { dict: 'sk' }),
    state: required(4, 'uint32', { dict: 'sk' }),
    flags: required(5, 'uint32', { hex: true }),
    uflags: required(6, 'uint32', { hex: true }),
    backlog: required(7, 'uint32'),
    peer: required(8, 'uint32'),
    fown: required(9, 'fown_entry'),
    opts: required(10, 'sk_opts_entry'),
    // bytes, not string: abstract names start with (and may contain) NUL
    name: required(11, 'bytes', { conv: 'unix_name' }),
    shutdown: optional(12, 'sk_shutdown'),
    file_perms: optional(13, 'file_perms_entry'),
    name_dir: optional(14, 'string'),
    deleted: optional(15, 'bool'),
    ns_id: optional(16, 'uint32'),
    mnt_id: optional(17, 'sint32', { default: -1 }),
    // number 18 must stay unused
  }),
};
