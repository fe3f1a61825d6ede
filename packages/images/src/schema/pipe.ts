import { message, required, type SchemaFile } from './define.js';

/** One end of a pipe held by a task (CRIU `pipe.proto`). */
export const pipeSchema: SchemaFile = {
  pipe_entry: message({
    id: required(1, 'uint32'),
    // both ends of one pipe share this (the pipe's inode number)
    pipe_id: required(2, 'uint32'),
    flags: required(3, 'uint32', { hex: true }),
    fown: required(4, 'fown_entry'),
  }),
};
