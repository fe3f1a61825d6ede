import { message, required, type SchemaFile } from './define.js';

/** An open /proc/PID/ns/* file (CRIU `ns.proto`). */
export const nsSchema: SchemaFile = {
  ns_file_entry: message({
    id: required(1, 'uint32'),
    ns_id: required(2, 'uint32'),
    // the CLONE_NEW* flag naming the namespace type
    ns_cflag: required(3, 'uint32'),
    flags: required(4, 'uint32'),
  }),
};
