import { message, optional, repeated, type SchemaFile } from './define.js';

/** Link settings of a sit (IPv6-in-IPv4) tunnel device (CRIU `sit.proto`). */
export const sitSchema: SchemaFile = {
  sit_entry: message({
    link: optional(1, 'uint32'),
    local: repeated(2, 'uint32', { ipadd: true }),
    remote: repeated(3, 'uint32', { ipadd: true }),
    ttl: optional(4, 'uint32'),
    tos: optional(5, 'uint32'),
    pmtudisc: optional(6, 'bool'),
    proto: optional(7, 'uint32'),
    flags: optional(8, 'uint32'),
    encap_type: optional(9, 'uint32'),
    encap_flags: optional(10, 'uint32'),
    encap_sport: optional(11, 'uint32'),
    encap_dport: optional(12, 'uint32'),
    rd_prefixlen: optional(13, 'uint32'),
    rd_prefix: repeated(14, 'uint32', { ipadd: true }),
    relay_prefixlen: optional(15, 'uint32'),
    relay_prefix: repeated(16, 'uint32', { ipadd: true }),
  }),
};
