import { addressOf, hostArch, keepAlive, sys } from '@criu-ts/ptrace';
import { cString } from './c-string.js';

const AT_FDCWD = -100;
const O_CLOEXEC = 0o2000000;

/**
 * A new open file description of what our fd `fd` points at, opened through /proc/self/fd with
 * `flags` (and close-on-exec): its fd, or -errno. Works where the file has no name (a pipe, a
 * memfd, a deleted file) and for whichever end of a pipe `fd` is.
 */
export function reopen(fd: number, flags: number): number {
  const path = cString(`/proc/self/fd/${fd}`);
  const opened = sys(hostArch().syscalls.openat, AT_FDCWD, addressOf(path), flags | O_CLOEXEC, 0);
  keepAlive(path);
  return opened;
}
