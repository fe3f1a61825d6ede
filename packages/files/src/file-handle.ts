/**
 * Kernel file handles (name_to_handle_at's struct file_handle), which fdinfo shows for the inode an
 * inotify watch or a fanotify mark is on: kept in CRIU's fh_entry form, and opened again by handle so
 * the inode is found whatever its path has become. Used by both halves.
 */
import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { cString } from './c-string.js';
import { readMounts } from './mountinfo.js';

/** fh_entry keeps the handle as at least this many 64-bit words (CRIU's fh_entry_sizes.min_entries). */
const HANDLE_WORDS = 16;
const AT_FDCWD = -100;
const O_RDONLY = 0;
const O_PATH = 0o10000000;
const O_DIRECTORY = 0o200000;
const O_CLOEXEC = 0o2000000;
const ESTALE = 116;

/** An fh_entry from fdinfo's `fhandle-bytes:%x fhandle-type:%x f_handle:<hex>`. */
export function handleEntry(bytes: number, type: number, hex: string): MessageValue {
  const raw = Buffer.alloc(HANDLE_WORDS * 8);
  Buffer.from(hex.slice(0, raw.length * 2), 'hex').copy(raw);
  const handle = Array.from({ length: HANDLE_WORDS }, (_, i) => raw.readBigUInt64LE(i * 8));
  return { bytes, type, handle };
}

/** A kernel device number (dev_t inside the kernel: major in the top 12 bits) as major:minor. */
export function kernelDev(sdev: number): string {
  return `${sdev >>> 20}:${sdev & 0xfffff}`;
}

/**
 * Opens (O_PATH, close-on-exec, in this process) the inode of handle `fh` on the filesystem whose
 * kernel device number is `sdev`, through any mount of it: the fd, or -errno (-ESTALE when the
 * inode is gone, -ENODEV when no mount of that filesystem is found).
 */
export function openByHandle(sdev: number, fh: MessageValue): number {
  const nr = hostArch().syscalls;
  const bytes = Number(fh.bytes);
  const words = (fh.handle as readonly (bigint | number)[] | undefined) ?? [];
  // struct file_handle { u32 handle_bytes; int handle_type; unsigned char f_handle[]; }
  const handle = kbuf(8 + Math.max(bytes, words.length * 8));
  handle.writeUInt32LE(bytes, 0);
  handle.writeInt32LE(Number(fh.type), 4);
  words.forEach((w, i) => handle.writeBigUInt64LE(BigInt.asUintN(64, BigInt(w)), 8 + i * 8));
  let result = -19; // ENODEV
  const dev = kernelDev(sdev);
  for (const { mountPoint } of readMounts('self').filter((m) => m.dev === dev)) {
    const path = cString(mountPoint);
    // open_by_handle_at takes no O_PATH fd for the mount (EBADF)
    const mount = sys(nr.openat, AT_FDCWD, addressOf(path), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    keepAlive(path);
    if (mount < 0) continue;
    result = sys(nr.open_by_handle_at, mount, addressOf(handle), O_PATH | O_CLOEXEC);
    keepAlive(handle);
    sys(nr.close, mount);
    if (result >= 0 || result === -ESTALE) break;
  }
  return result;
}

/** Opens `path` O_PATH in this process: the fd or -errno. */
export function openPath(path: string): number {
  const name = cString(path);
  const fd = sys(hostArch().syscalls.openat, AT_FDCWD, addressOf(name), O_PATH | O_CLOEXEC, 0);
  keepAlive(name);
  return fd;
}
