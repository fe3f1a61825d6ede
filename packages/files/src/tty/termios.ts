import type { MessageValue } from '@criu-ts/images';

/** The kernel's struct termios (TCGETS): four flag words, the line discipline, 19 control characters. */
export const TERMIOS_SIZE = 36;
const NCCS = 19;
/** struct winsize: rows, columns, x and y pixels, 16 bits each. */
export const WINSIZE_SIZE = 8;

/**
 * A termios_entry from the kernel's struct termios. c_ispeed and c_ospeed stay 0 as in CRIU's
 * images: TCGETS does not fill them (the speeds live in c_cflag).
 */
export function termiosEntry(raw: Uint8Array): MessageValue {
  const b = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const cc: number[] = [];
  for (let i = 0; i < NCCS; i++) cc.push(b[17 + i]);
  return {
    c_iflag: b.readUInt32LE(0),
    c_oflag: b.readUInt32LE(4),
    c_cflag: b.readUInt32LE(8),
    c_lflag: b.readUInt32LE(12),
    c_line: b[16],
    c_ispeed: 0,
    c_ospeed: 0,
    c_cc: cc,
  };
}

/** The kernel's struct termios from a termios_entry. */
export function termiosBytes(entry: MessageValue): Buffer {
  const b = Buffer.alloc(TERMIOS_SIZE);
  b.writeUInt32LE(Number(entry.c_iflag), 0);
  b.writeUInt32LE(Number(entry.c_oflag), 4);
  b.writeUInt32LE(Number(entry.c_cflag), 8);
  b.writeUInt32LE(Number(entry.c_lflag), 12);
  b[16] = Number(entry.c_line);
  const cc = (entry.c_cc as number[] | undefined) ?? [];
  for (let i = 0; i < NCCS && i < cc.length; i++) b[17 + i] = Number(cc[i]);
  return b;
}

export function winsizeEntry(raw: Uint8Array): MessageValue {
  const b = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  return { ws_row: b.readUInt16LE(0), ws_col: b.readUInt16LE(2), ws_xpixel: b.readUInt16LE(4), ws_ypixel: b.readUInt16LE(6) };
}

export function winsizeBytes(entry: MessageValue): Buffer {
  const b = Buffer.alloc(WINSIZE_SIZE);
  b.writeUInt16LE(Number(entry.ws_row), 0);
  b.writeUInt16LE(Number(entry.ws_col), 2);
  b.writeUInt16LE(Number(entry.ws_xpixel), 4);
  b.writeUInt16LE(Number(entry.ws_ypixel), 6);
  return b;
}
