import { enumeration, message, optional, repeated, required, type SchemaFile } from './define.js';

/** Terminals: the shared tty state, its queued data and each open of it (CRIU `tty.proto`). */
export const ttySchema: SchemaFile = {
  winsize_entry: message({
    ws_row: required(1, 'uint32'),
    ws_col: required(2, 'uint32'),
    ws_xpixel: required(3, 'uint32'),
    ws_ypixel: required(4, 'uint32'),
  }),
  termios_entry: message({
    c_iflag: required(1, 'uint32'),
    c_oflag: required(2, 'uint32'),
    c_cflag: required(3, 'uint32'),
    c_lflag: required(4, 'uint32'),
    c_line: required(5, 'uint32'),
    c_ispeed: required(6, 'uint32'),
    c_ospeed: required(7, 'uint32'),
    c_cc: repeated(8, 'uint32'),
  }),
  tty_pty_entry: message({
    index: required(1, 'uint32'),
  }),
  TtyType: enumeration({
    UNKNOWN: 0,
    PTY: 1,
    CONSOLE: 2,
    VT: 3,
    CTTY: 4,
    EXT_TTY: 5,
    SERIAL: 6,
  }),
  tty_data_entry: message({
    tty_id: required(1, 'uint32'),
    data: required(2, 'bytes'),
  }),
  tty_info_entry: message({
    id: required(1, 'uint32'),
    type: required(2, 'TtyType'),
    // locked and packet_mode only apply to Unix98 ptys
    locked: required(3, 'bool'),
    exclusive: required(4, 'bool'),
    packet_mode: required(5, 'bool'),
    sid: required(6, 'uint32'),
    pgrp: required(7, 'uint32'),
    // kept so errors can name the device by major:minor
    rdev: required(8, 'uint32'),
    termios: optional(9, 'termios_entry'),
    termios_locked: optional(10, 'termios_entry'),
    winsize: optional(11, 'winsize_entry'),
    // pty, dev, uid, gid: present only for the tty types that have them
    pty: optional(12, 'tty_pty_entry'),
    dev: optional(13, 'uint32'),
    uid: optional(14, 'uint32'),
    gid: optional(15, 'uint32'),
  }),
  tty_file_entry: message({
    id: required(1, 'uint32'),
    tty_info_id: required(2, 'uint32'),
    flags: required(3, 'uint32', { hex: true }),
    fown: required(4, 'fown_entry'),
    regf_id: optional(6, 'uint32'),
  }),
};
