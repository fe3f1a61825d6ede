import { message, optional, required, type SchemaFile } from './define.js';

/** Open /dev/net/tun files and the tun/tap links behind them (CRIU `tun.proto`). */
export const tunSchema: SchemaFile = {
  tunfile_entry: message({
    id: required(1, 'uint32'),
    // unset when the file was never attached to a device
    netdev: optional(2, 'string'),
    detached: optional(3, 'bool'),
    ns_id: optional(4, 'uint32'),
  }),
  tun_link_entry: message({
    flags: required(1, 'uint32', { hex: true }),
    owner: required(2, 'int32'),
    group: required(3, 'int32'),
    vnethdr: required(4, 'uint32'),
    sndbuf: required(5, 'uint32'),
  }),
};
