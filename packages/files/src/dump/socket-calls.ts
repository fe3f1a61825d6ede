import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';

/** getsockopt on our socket `s`: the option's `size` bytes, or the errno it failed with. */
export function getSocketOption(s: number, level: number, option: number, size: number): { value: Buffer } | { errno: number } {
  const value = kbuf(size);
  const length = kbuf(4);
  length.writeUInt32LE(size, 0);
  const r = sys(hostArch().syscalls.getsockopt, s, level, option, addressOf(value), addressOf(length));
  keepAlive(value, length);
  return r < 0 ? { errno: -r } : { value };
}

/** An ioctl on our socket `s` that reads an int (FIONREAD, TIOCOUTQ...), or the errno it failed with. */
export function socketIoctl(s: number, request: number): { value: number } | { errno: number } {
  const value = kbuf(4);
  const r = sys(hostArch().syscalls.ioctl, s, request, addressOf(value));
  keepAlive(value);
  return r < 0 ? { errno: -r } : { value: value.readInt32LE(0) };
}

/** setsockopt of an int option on our socket `s`: the errno it failed with, or undefined. */
export function setSocketInt(s: number, level: number, option: number, value: number): number | undefined {
  const buffer = kbuf(4);
  buffer.writeInt32LE(value, 0);
  const r = sys(hostArch().syscalls.setsockopt, s, level, option, addressOf(buffer), 4);
  keepAlive(buffer);
  return r < 0 ? -r : undefined;
}
