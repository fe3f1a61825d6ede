import { message, required, type SchemaFile } from './define.js';

/** A time namespace's clock offsets (CRIU `timens.proto`). */
export const timensSchema: SchemaFile = {
  timespec: message({
    tv_sec: required(1, 'uint64'),
    tv_nsec: required(2, 'uint64'),
  }),
  timens_entry: message({
    monotonic: required(1, 'timespec'),
    boottime: required(2, 'timespec'),
  }),
};
