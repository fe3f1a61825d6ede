import { message, optional, repeated, required, type SchemaFile } from './define.js';

/** A thread's credentials (CRIU `creds.proto`): ids, capability sets, groups and LSM labels. */
export const credsSchema: SchemaFile = {
  creds_entry: message({
    uid: required(1, 'uint32'),
    gid: required(2, 'uint32'),
    euid: required(3, 'uint32'),
    egid: required(4, 'uint32'),
    suid: required(5, 'uint32'),
    sgid: required(6, 'uint32'),
    fsuid: required(7, 'uint32'),
    fsgid: required(8, 'uint32'),
    // capability sets are bitmaps split into 32-bit words, lowest word first
    cap_inh: repeated(9, 'uint32'),
    cap_prm: repeated(10, 'uint32'),
    cap_eff: repeated(11, 'uint32'),
    cap_bnd: repeated(12, 'uint32'),
    secbits: required(13, 'uint32'),
    groups: repeated(14, 'uint32'),
    lsm_profile: optional(15, 'string'),
    lsm_sockcreate: optional(16, 'string'),
    apparmor_data: optional(17, 'bytes'),
    no_new_privs: optional(18, 'uint32'),
    cap_amb: repeated(19, 'uint32'),
  }),
};
