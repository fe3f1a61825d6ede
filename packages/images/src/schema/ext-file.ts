import { message, required, type SchemaFile } from './define.js';

/** A file of a kind handled by a CRIU plugin rather than CRIU itself (CRIU `ext-file.proto`). */
export const extFileSchema: SchemaFile = {
  ext_file_entry: message({
    id: required(1, 'uint32'),
    fown: required(5, 'fown_entry'),
  }),
};
