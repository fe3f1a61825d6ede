import { enumeration, message, optional, required, type SchemaFile } from './define.js';

/** The mounts of a mount namespace (CRIU `mnt.proto`). */
export const mntSchema: SchemaFile = {
  // 20..22 are held back for NFS support
  fstype: enumeration({
    UNSUPPORTED: 0,
    PROC: 1,
    SYSFS: 2,
    DEVTMPFS: 3,
    BINFMT_MISC: 4,
    TMPFS: 5,
    DEVPTS: 6,
    SIMFS: 7,
    PSTORE: 8,
    SECURITYFS: 9,
    FUSECTL: 10,
    DEBUGFS: 11,
    CGROUP: 12,
    AUFS: 13,
    MQUEUE: 14,
    FUSE: 15,
    AUTO: 16,
    OVERLAYFS: 17,
    AUTOFS: 18,
    TRACEFS: 19,
    CGROUP2: 23,
  }),
  mnt_entry: message({
    // an fstype value, stored as a plain integer
    fstype: required(1, 'uint32'),
    mnt_id: required(2, 'uint32'),
    root_dev: required(3, 'uint32', { dev: true }),
    parent_mnt_id: required(4, 'uint32'),
    flags: required(5, 'uint32', { hex: true }),
    root: required(6, 'string'),
    mountpoint: required(7, 'string'),
    source: required(8, 'string'),
    options: required(9, 'string'),
    shared_id: optional(10, 'uint32'),
    master_id: optional(11, 'uint32'),
    with_plugin: optional(12, 'bool'),
    ext_mount: optional(13, 'bool'),
    fsname: optional(14, 'string'),
    internal_sharing: optional(15, 'bool'),
    deleted: optional(16, 'bool'),
    sb_flags: optional(17, 'uint32', { hex: true }),
    // the key given with --external to map this mount on restore
    ext_key: optional(18, 'string'),
  }),
};
