import { message, optional, required, type SchemaFile } from './define.js';

/** One binfmt_misc handler registration (CRIU `binfmt-misc.proto`). */
export const binfmtMiscSchema: SchemaFile = {
  binfmt_misc_entry: message({
    name: required(1, 'string'),
    enabled: required(2, 'bool'),
    interpreter: required(3, 'string'),
    flags: optional(4, 'string'),
    // a handler matches either by extension or by magic (with mask) at offset
    extension: optional(5, 'string'),
    magic: optional(6, 'string'),
    mask: optional(7, 'string'),
    offset: optional(8, 'int32'),
  }),
};
