import { message, optional, repeated, required, type SchemaFile } from './define.js';

/** An AF_PACKET socket with its multicast list and mmap rings (CRIU `packet-sock.proto`). */
export const packetSockSchema: SchemaFile = {
  packet_mclist: message({
    index: required(1, 'uint32'),
    type: required(2, 'uint32'),
    addr: required(3, 'bytes'),
  }),
  packet_ring: message({
    block_size: required(1, 'uint32'),
    block_nr: required(2, 'uint32'),
    frame_size: required(3, 'uint32'),
    frame_nr: required(4, 'uint32'),
    retire_tmo: required(5, 'uint32'),
    sizeof_priv: required(6, 'uint32'),
    features: required(7, 'uint32'),
  }),
  packet_sock_entry: message({
    id: required(1, 'uint32'),
    type: required(2, 'uint32'),
    protocol: required(3, 'uint32'),
    flags: required(4, 'uint32', { hex: true }),
    ifindex: required(5, 'uint32'),
    fown: required(6, 'fown_entry'),
    opts: required(7, 'sk_opts_entry'),
    version: required(8, 'uint32'),
    reserve: required(9, 'uint32'),
    aux_data: required(10, 'bool'),
    orig_dev: required(11, 'bool'),
    vnet_hdr: required(12, 'bool'),
    loss: required(13, 'bool'),
    timestamp: required(14, 'uint32'),
    copy_thresh: required(15, 'uint32'),
    mclist: repeated(16, 'packet_mclist'),
    // all ones means the socket is in no fanout group
    fanout: optional(17, 'uint32', { default: 0xffffffff }),
    rx_ring: optional(18, 'packet_ring'),
    tx_ring: optional(19, 'packet_ring'),
    ns_id: optional(20, 'uint32'),
  }),
};
