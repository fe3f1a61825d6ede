import { message, optional, type SchemaFile } from './define.js';

/** A pid namespace (CRIU `pidns.proto`). */
export const pidnsSchema: SchemaFile = {
  pidns_entry: message({
    // set when the namespace was marked external and is supplied again at restore
    ext_key: optional(1, 'string'),
  }),
};
