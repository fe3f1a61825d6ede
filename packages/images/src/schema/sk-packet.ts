import { message, repeated, required, type SchemaFile } from './define.js';

/** A message queued on a socket, with its ancillary data; the payload follows it in the image (CRIU `sk-packet.proto`). */
export const skPacketSchema: SchemaFile = {
  scm_entry: message({
    type: required(1, 'uint32'),
    rights: repeated(2, 'uint32'),
  }),
  sk_packet_entry: message({
    // the receiving socket's id
    id_for: required(1, 'uint32'),
    length: required(2, 'uint32'),
    scm: repeated(4, 'scm_entry'),
  }),
};
