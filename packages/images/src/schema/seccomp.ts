import { message, optional, repeated, required, type SchemaFile } from './define.js';

/** The seccomp filters of all tasks (CRIU `seccomp.proto`). */
export const seccompSchema: SchemaFile = {
  seccomp_filter: message({
    // raw array of struct sock_filter
    filter: required(1, 'bytes'),
    // index in seccomp_filters of the filter this one was stacked on; absent for the first
    prev: optional(2, 'uint32'),
    flags: optional(3, 'uint32'),
  }),
  seccomp_entry: message({
    seccomp_filters: repeated(1, 'seccomp_filter'),
  }),
};
