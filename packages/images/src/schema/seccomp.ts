import { message, optional, repeated, required, type SchemaFile } from './define.js';

/** The seccomp filters of all tasks (CRIU `seccomp.proto`). */
export const seccompSchema: SchemaFile = {
  seccomp_filter: message({
    // raw array of struct sock_filter
    filter: required(1, 'bytes'),
    // index in seccomp_filters of the filter installed after this one; absent for the newest (a
    // thread's core names the oldest, its chain's first)
    prev: optional(2, 'uint32'),
    flags: optional(3, 'uint32'),
  }),
  seccomp_entry: message({
    seccomp_filters: repeated(1, 'seccomp_filter'),
  }),
};
