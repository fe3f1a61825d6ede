import { enumeration, message, optional, repeated, required, type SchemaFile } from './define.js';

/** The inventory image (CRIU `inventory.proto`): image version and dump-wide settings. */
export const inventorySchema: SchemaFile = {
  lsmtype: enumeration({
    NO_LSM: 0,
    SELINUX: 1,
    APPARMOR: 2,
  }),
  // a wrapper so that "no plugins" and "field absent" stay distinguishable
  plugins_entry: message({
    plugins: repeated(12, 'string'),
  }),
  inventory_entry: message({
    img_version: required(1, 'uint32'),
    fdinfo_per_id: optional(2, 'bool'),
    root_ids: optional(3, 'task_kobj_ids_entry'),
    ns_per_id: optional(4, 'bool'),
    root_cg_set: optional(5, 'uint32'),
    lsmtype: optional(6, 'lsmtype'),
    dump_uptime: optional(8, 'uint64'),
    pre_dump_mode: optional(9, 'uint32'),
    tcp_close: optional(10, 'bool'),
    network_lock_method: optional(11, 'uint32'),
    plugins_entry: optional(12, 'plugins_entry'),
    // lets restore find the nftables lock rule that this dump installed
    dump_criu_run_id: optional(13, 'string'),
    allow_uprobes: optional(14, 'bool'),
  }),
};
