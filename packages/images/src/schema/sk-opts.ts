import { enumeration, message, optional, repeated, required, type SchemaFile } from './define.js';

/** Socket-level options common to every socket family (CRIU `sk-opts.proto`). */
export const skOptsSchema: SchemaFile = {
  sk_opts_entry: message({
    so_sndbuf: required(1, 'uint32'),
    so_rcvbuf: required(2, 'uint32'),
    so_snd_tmo_sec: required(3, 'uint64'),
    so_snd_tmo_usec: required(4, 'uint64'),
    so_rcv_tmo_sec: required(5, 'uint64'),
    so_rcv_tmo_usec: required(6, 'uint64'),
    reuseaddr: optional(7, 'bool'),
    so_priority: optional(8, 'uint32'),
    so_rcvlowat: optional(9, 'uint32'),
    so_mark: optional(10, 'uint32'),
    so_passcred: optional(11, 'bool'),
    so_passsec: optional(12, 'bool'),
    so_dontroute: optional(13, 'bool'),
    so_no_check: optional(14, 'bool'),
    so_bound_dev: optional(15, 'string'),
    // the attached classic BPF program, one sock_filter instruction per word
    so_filter: repeated(16, 'fixed64'),
    so_reuseport: optional(17, 'bool'),
    so_broadcast: optional(18, 'bool'),
    so_keepalive: optional(19, 'bool'),
    // superseded by tcp_opts_entry; still read from older images
    tcp_keepcnt: optional(20, 'uint32'),
    tcp_keepidle: optional(21, 'uint32'),
    tcp_keepintvl: optional(22, 'uint32'),
    so_oobinline: optional(23, 'uint32'),
    so_linger: optional(24, 'uint32'),
    so_buf_lock: optional(25, 'uint32'),
  }),
  sk_shutdown: enumeration({
    NONE: 0,
    READ: 1,
    WRITE: 2,
    BOTH: 3,
  }),
};
