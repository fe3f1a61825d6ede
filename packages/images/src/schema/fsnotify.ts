import { enumeration, message, optional, repeated, required, type SchemaFile } from './define.js';

/** inotify and fanotify instances with their watches and marks (CRIU `fsnotify.proto`). */
export const fsnotifySchema: SchemaFile = {
  inotify_wd_entry: message({
    id: required(1, 'uint32'),
    i_ino: required(2, 'uint64'),
    mask: required(3, 'uint32', { hex: true }),
    ignored_mask: required(4, 'uint32', { hex: true }),
    s_dev: required(5, 'uint32', { dev: true }),
    wd: required(6, 'uint32'),
    // the watched inode is reopened by handle, since its path may be gone
    f_handle: required(7, 'fh_entry'),
  }),
  inotify_file_entry: message({
    id: required(1, 'uint32'),
    flags: required(2, 'uint32', { hex: true }),
    fown: required(4, 'fown_entry'),
    wd: repeated(5, 'inotify_wd_entry'),
  }),
  mark_type: enumeration({
    INODE: 1,
    MOUNT: 2,
  }),
  fanotify_inode_mark_entry: message({
    i_ino: required(1, 'uint64'),
    f_handle: required(2, 'fh_entry'),
  }),
  fanotify_mount_mark_entry: message({
    mnt_id: required(1, 'uint32'),
    path: optional(2, 'string'),
  }),
  fanotify_mark_entry: message({
    id: required(1, 'uint32'),
    type: required(2, 'mark_type'),
    mflags: required(3, 'uint32', { hex: true }),
    mask: required(4, 'uint32', { hex: true }),
    ignored_mask: required(5, 'uint32', { hex: true }),
    s_dev: required(6, 'uint32', { dev: true }),
    // ie for an INODE mark, me for a MOUNT mark
    ie: optional(7, 'fanotify_inode_mark_entry'),
    me: optional(8, 'fanotify_mount_mark_entry'),
  }),
  fanotify_file_entry: message({
    id: required(1, 'uint32'),
    flags: required(2, 'uint32', { hex: true }),
    fown: required(3, 'fown_entry'),
    faflags: required(4, 'uint32', { hex: true }),
    evflags: required(5, 'uint32', { hex: true }),
    mark: repeated(6, 'fanotify_mark_entry'),
  }),
};
