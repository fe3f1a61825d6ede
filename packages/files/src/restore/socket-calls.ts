import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { RestoreFault } from '@criu-ts/subsystem';

/** setsockopt on our socket `fd` (named `what` in errors) with the bytes of `value`. */
export function setSocketOption(fd: number, level: number, option: number, value: Uint8Array, what: string): void {
  const buffer = kbuf(value.length);
  buffer.set(value);
  const r = sys(hostArch().syscalls.setsockopt, fd, level, option, addressOf(buffer), buffer.length);
  keepAlive(buffer);
  if (r < 0) throw new RestoreFault('files', `cannot set option ${level}/${option} of ${what}: errno ${-r}`);
}

/** setsockopt of an int option. */
export function setSocketInt(fd: number, level: number, option: number, value: number, what: string): void {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32LE(value | 0, 0);
  setSocketOption(fd, level, option, buffer, what);
}

/** bind or connect (`number`) our socket `fd` to `sockaddr`; `what` says which, for errors. */
export function callWithAddress(number: number, fd: number, sockaddr: Uint8Array, what: string): void {
  const buffer = kbuf(sockaddr.length);
  buffer.set(sockaddr);
  const r = sys(number, fd, addressOf(buffer), buffer.length);
  keepAlive(buffer);
  if (r < 0) throw new RestoreFault('files', `cannot ${what}: errno ${-r}`);
}
