import { message, optional, required, type SchemaFile } from './define.js';

/** Link settings of a macvlan device (CRIU `macvlan.proto`). */
export const macvlanSchema: SchemaFile = {
  macvlan_link_entry: message({
    mode: required(1, 'uint32'),
    flags: optional(2, 'uint32'),
  }),
};
