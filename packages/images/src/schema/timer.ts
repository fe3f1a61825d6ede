import { message, optional, repeated, required, type SchemaFile } from './define.js';

/** A task's interval timers and POSIX timers (CRIU `timer.proto`). */
export const timerSchema: SchemaFile = {
  itimer_entry: message({
    isec: required(1, 'uint64'),
    iusec: required(2, 'uint64'),
    vsec: required(3, 'uint64'),
    vusec: required(4, 'uint64'),
  }),
  posix_timer_entry: message({
    it_id: required(1, 'uint32'),
    clock_id: required(2, 'uint32'),
    si_signo: required(3, 'uint32'),
    it_sigev_notify: required(4, 'uint32'),
    sival_ptr: required(5, 'uint64'),
    overrun: required(6, 'uint32'),
    isec: required(7, 'uint64'),
    insec: required(8, 'uint64'),
    vsec: required(9, 'uint64'),
    vnsec: required(10, 'uint64'),
    // for SIGEV_THREAD_ID timers: the thread that gets the signal
    notify_thread_id: optional(11, 'int32'),
  }),
  task_timers_entry: message({
    real: required(1, 'itimer_entry'),
    virt: required(2, 'itimer_entry'),
    prof: required(3, 'itimer_entry'),
    posix: repeated(4, 'posix_timer_entry'),
  }),
};
