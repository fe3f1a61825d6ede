import { message, required, type SchemaFile } from './define.js';

/** One resource limit (CRIU `rlimit.proto`), soft and hard. */
export const rlimitSchema: SchemaFile = {
  rlimit_entry: message({
    cur: required(1, 'uint64'),
    max: required(2, 'uint64'),
  }),
};
