import { message, required, type SchemaFile } from './define.js';

/** A timerfd with its armed value and interval (CRIU `timerfd.proto`). */
export const timerfdSchema: SchemaFile = {
  timerfd_entry: message({
    id: required(1, 'uint32'),
    flags: required(2, 'uint32', { hex: true }),
    fown: required(3, 'fown_entry'),
    clockid: required(4, 'uint32'),
    // expirations not yet read by the task
    ticks: required(5, 'uint64'),
    settime_flags: required(6, 'uint32', { hex: true }),
    // v* is it_value (time left), i* is it_interval
    vsec: required(7, 'uint64'),
    vnsec: required(8, 'uint64'),
    isec: required(9, 'uint64'),
    insec: required(10, 'uint64'),
  }),
};
