import { message, optional, required, type SchemaFile } from './define.js';

/** A BPF map file descriptor and the map's attributes (CRIU `bpfmap-file.proto`). */
export const bpfmapFileSchema: SchemaFile = {
  bpfmap_file_entry: message({
    id: required(1, 'uint32'),
    flags: required(2, 'uint32', { flags: 'rfile.flags' }),
    pos: required(3, 'uint64'),
    fown: required(4, 'fown_entry'),
    map_type: required(5, 'uint32'),
    key_size: required(6, 'uint32'),
    value_size: required(7, 'uint32'),
    map_id: required(8, 'uint32'),
    max_entries: required(9, 'uint32'),
    map_flags: required(10, 'uint32'),
    memlock: required(11, 'uint64'),
    frozen: required(12, 'bool', { default: false }),
    map_name: required(13, 'string'),
    ifindex: required(14, 'uint32', { default: 0 }),
    mnt_id: optional(15, 'sint32', { default: -1 }),
    map_extra: optional(16, 'uint64'),
  }),
};
