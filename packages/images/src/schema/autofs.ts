import { message, optional, required, type SchemaFile } from './define.js';

/** The state of an autofs mount's daemon pipe (CRIU `autofs.proto`). */
export const autofsSchema: SchemaFile = {
  autofs_entry: message({
    fd: required(1, 'int32'),
    pgrp: required(2, 'int32'),
    timeout: required(3, 'int32'),
    minproto: required(4, 'int32'),
    maxproto: required(5, 'int32'),
    mode: required(6, 'int32'),
    uid: optional(7, 'int32'),
    gid: optional(8, 'int32'),
    read_fd: optional(9, 'int32'),
  }),
};
