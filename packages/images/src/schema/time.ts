import { message, required, type SchemaFile } from './define.js';

/** A struct timeval (CRIU `time.proto`), used by other images. */
export const timeSchema: SchemaFile = {
  timeval: message({
    tv_sec: required(1, 'uint64'),
    tv_usec: required(2, 'uint64'),
  }),
};
