import { message, optional, required, type SchemaFile } from './define.js';

/** Header of the buffered contents of a pipe or fifo; the raw bytes follow it in the image (CRIU `pipe-data.proto`). */
export const pipeDataSchema: SchemaFile = {
  pipe_data_entry: message({
    pipe_id: required(1, 'uint32'),
    bytes: required(2, 'uint32'),
    // the pipe's buffer capacity (F_GETPIPE_SZ), not the data length
    size: optional(3, 'uint32'),
  }),
};
