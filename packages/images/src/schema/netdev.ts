import { enumeration, message, optional, repeated, required, type SchemaFile } from './define.js';

/** Network devices and per-namespace network settings (CRIU `netdev.proto`). */
export const netdevSchema: SchemaFile = {
  nd_type: enumeration({
    LOOPBACK: 1,
    VETH: 2,
    TUN: 3,
    // a link CRIU does not create, only reconfigures; something outside must provide it
    EXTLINK: 4,
    VENET: 5,
    BRIDGE: 6,
    MACVLAN: 7,
    SIT: 8,
  }),
  net_device_entry: message({
    type: required(1, 'nd_type'),
    ifindex: required(2, 'uint32'),
    mtu: required(3, 'uint32'),
    flags: required(4, 'uint32', { hex: true }),
    name: required(5, 'string'),
    tun: optional(6, 'tun_link_entry'),
    address: optional(7, 'bytes'),
    // conf is the old positional form of the ipv4 devconf; conf4/conf6 replaced it
    conf: repeated(8, 'int32'),
    conf4: repeated(9, 'sysctl_entry'),
    conf6: repeated(10, 'sysctl_entry'),
    macvlan: optional(11, 'macvlan_link_entry'),
    peer_ifindex: optional(12, 'uint32'),
    peer_nsid: optional(13, 'uint32'),
    master: optional(14, 'uint32'),
    sit: optional(15, 'sit_entry'),
  }),
  netns_id: message({
    // CRIU's own namespace id, paired with the kernel's netnsid for it as seen from this netns
    target_ns_id: required(1, 'uint32'),
    netnsid_value: required(2, 'int32'),
  }),
  netns_entry: message({
    def_conf: repeated(1, 'int32'),
    all_conf: repeated(2, 'int32'),
    def_conf4: repeated(3, 'sysctl_entry'),
    all_conf4: repeated(4, 'sysctl_entry'),
    def_conf6: repeated(5, 'sysctl_entry'),
    all_conf6: repeated(6, 'sysctl_entry'),
    nsids: repeated(7, 'netns_id'),
    ext_key: optional(8, 'string'),
    unix_conf: repeated(9, 'sysctl_entry'),
    ipv4_sysctl: repeated(10, 'sysctl_entry'),
  }),
};
