import { message, optional, repeated, required, type SchemaFile } from './define.js';

/** An AF_INET/AF_INET6 socket (CRIU `sk-inet.proto`). */
export const skInetSchema: SchemaFile = {
  ip_opts_raw_entry: message({
    hdrincl: optional(1, 'bool'),
    nodefrag: optional(2, 'bool'),
    checksum: optional(3, 'bool'),
    icmpv_filter: repeated(4, 'uint32'),
  }),
  // numbers 2 and 3 are kept free for Virtuozzo's fork
  ip_opts_entry: message({
    freebind: optional(1, 'bool'),
    raw: optional(4, 'ip_opts_raw_entry'),
    pktinfo: optional(5, 'bool'),
    tos: optional(6, 'uint32'),
    ttl: optional(7, 'uint32'),
  }),
  inet_sk_entry: message({
    // id links the socket to its fdinfo entry; ino matches it to a tcp_stream image
    id: required(1, 'uint32'),
    ino: required(2, 'uint32'),
    family: required(3, 'uint32', { dict: 'sk' }),
    type: required(4, 'uint32', { dict: 'sk' }),
    proto: required(5, 'uint32', { dict: 'sk' }),
    state: required(6, 'uint32', { dict: 'sk' }),
    src_port: required(7, 'uint32'),
    dst_port: required(8, 'uint32'),
    flags: required(9, 'uint32', { hex: true }),
    backlog: required(10, 'uint32'),
    src_addr: repeated(11, 'uint32', { ipadd: true }),
    dst_addr: repeated(12, 'uint32', { ipadd: true }),
    fown: required(13, 'fown_entry'),
    opts: required(14, 'sk_opts_entry'),
    v6only: optional(15, 'bool'),
    ip_opts: optional(16, 'ip_opts_entry'),
    // IPv6 bind() needs an ifindex, which is not stable across hosts, so the name is kept
    ifname: optional(17, 'string'),
    ns_id: optional(18, 'uint32'),
    shutdown: optional(19, 'sk_shutdown'),
    tcp_opts: optional(20, 'tcp_opts_entry'),
  }),
};
