import { enumeration, message, optional, required, type SchemaFile } from './define.js';

/** How a file whose path is gone gets reopened on restore (CRIU `remap-file-path.proto`). */
export const remapFilePathSchema: SchemaFile = {
  // values 3 and 4 are held back for an out-of-tree spfs manager
  remap_type: enumeration({
    LINKED: 0,
    GHOST: 1,
    PROCFS: 2,
  }),
  remap_file_path_entry: message({
    orig_id: required(1, 'uint32'),
    remap_id: required(2, 'uint32'),
    remap_type: optional(3, 'remap_type'),
  }),
};
