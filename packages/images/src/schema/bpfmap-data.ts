import { message, required, type SchemaFile } from './define.js';

/** Header of one BPF map's contents; all keys, then all values, follow it in the image (CRIU `bpfmap-data.proto`). */
export const bpfmapDataSchema: SchemaFile = {
  bpfmap_data_entry: message({
    map_id: required(1, 'uint32'),
    keys_bytes: required(2, 'uint32'),
    values_bytes: required(3, 'uint32'),
    count: required(4, 'uint32'),
  }),
};
