import { message, optional, required, type SchemaFile } from './define.js';

/** TCP repair state of an established connection; the queued bytes follow it in the image (CRIU `tcp-stream.proto`). */
export const tcpStreamSchema: SchemaFile = {
  tcp_opts_entry: message({
    cork: optional(1, 'bool'),
    nodelay: optional(2, 'bool'),
    keepcnt: optional(3, 'uint32'),
    keepidle: optional(4, 'uint32'),
    keepintvl: optional(5, 'uint32'),
  }),
  tcp_stream_entry: message({
    inq_len: required(1, 'uint32'),
    inq_seq: required(2, 'uint32'),
    // sent-but-unacked plus not-yet-sent bytes; unsq_len is the not-yet-sent part
    outq_len: required(3, 'uint32'),
    outq_seq: required(4, 'uint32'),
    opt_mask: required(5, 'uint32', { hex: true }),
    snd_wscale: required(6, 'uint32'),
    mss_clamp: required(7, 'uint32'),
    rcv_wscale: optional(8, 'uint32'),
    timestamp: optional(9, 'uint32'),
    // superseded by tcp_opts_entry; still read from older images
    cork: optional(10, 'bool'),
    nodelay: optional(11, 'bool'),
    unsq_len: optional(12, 'uint32'),
    snd_wl1: optional(13, 'uint32'),
    snd_wnd: optional(14, 'uint32'),
    max_window: optional(15, 'uint32'),
    rcv_wnd: optional(16, 'uint32'),
    rcv_wup: optional(17, 'uint32'),
  }),
};
