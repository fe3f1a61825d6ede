import { message, repeated, required, type SchemaFile } from './define.js';

/** Pending signals (CRIU `siginfo.proto`), kept as raw kernel siginfo_t blobs. */
export const siginfoSchema: SchemaFile = {
  siginfo_entry: message({
    siginfo: required(1, 'bytes'),
  }),
  signal_queue_entry: message({
    signals: repeated(1, 'siginfo_entry'),
  }),
};
