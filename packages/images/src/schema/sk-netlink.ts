import { message, optional, repeated, required, type SchemaFile } from './define.js';

/** An AF_NETLINK socket (CRIU `sk-netlink.proto`). */
export const skNetlinkSchema: SchemaFile = {
  netlink_sk_entry: message({
    id: required(1, 'uint32'),
    ino: required(2, 'uint32'),
    protocol: required(3, 'uint32'),
    state: required(4, 'uint32'),
    flags: required(6, 'uint32', { hex: true }),
    portid: required(7, 'uint32'),
    groups: repeated(8, 'uint32'),
    dst_portid: required(9, 'uint32'),
    dst_group: required(10, 'uint32'),
    fown: required(11, 'fown_entry'),
    opts: required(12, 'sk_opts_entry'),
    ns_id: optional(13, 'uint32'),
  }),
};
