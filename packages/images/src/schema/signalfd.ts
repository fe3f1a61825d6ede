import { message, required, type SchemaFile } from './define.js';

/** A signalfd and the signals it accepts (CRIU `signalfd.proto`). */
export const signalfdSchema: SchemaFile = {
  signalfd_entry: message({
    id: required(1, 'uint32'),
    flags: required(2, 'uint32', { hex: true }),
    fown: required(3, 'fown_entry'),
    sigmask: required(4, 'uint64', { hex: true }),
  }),
};
