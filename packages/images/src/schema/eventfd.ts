import { message, required, type SchemaFile } from './define.js';

/** An eventfd and its counter (CRIU `eventfd.proto`). */
export const eventfdSchema: SchemaFile = {
  eventfd_file_entry: message({
    id: required(1, 'uint32'),
    flags: required(2, 'uint32'),
    fown: required(3, 'fown_entry'),
    counter: required(4, 'uint64'),
  }),
};
