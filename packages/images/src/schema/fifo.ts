import { message, optional, required, type SchemaFile } from './define.js';

/** A named pipe opened by a task (CRIU `fifo.proto`). */
export const fifoSchema: SchemaFile = {
  fifo_entry: message({
    id: required(1, 'uint32'),
    pipe_id: required(2, 'uint32'),
    // the reg_file_entry describing the fifo's path
    regf_id: optional(3, 'uint32'),
  }),
};
