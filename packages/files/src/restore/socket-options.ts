import type { MessageValue } from '@criu-ts/images';
import { addressOf, kbuf, keepAlive } from '@criu-ts/ptrace';
import { setSocketInt, setSocketOption } from './socket-calls.js';
import {
  SOL_SOCKET, SO_ATTACH_FILTER, SO_BINDTODEVICE, SO_BROADCAST, SO_DONTROUTE, SO_KEEPALIVE, SO_MARK,
  SO_NO_CHECK, SO_OOBINLINE, SO_PASSCRED, SO_PASSSEC, SO_PRIORITY, SO_RCVBUFFORCE, SO_RCVLOWAT, SO_RCVTIMEO,
  SO_REUSEADDR, SO_REUSEPORT, SO_SNDBUFFORCE, SO_SNDTIMEO,
} from '../socket-constants.js';


/**
 * Gives our socket `fd` (named `what` in errors) the socket-level options of `opts`
 * (sk_opts_entry): buffer sizes (the kernel doubles what it is given: half of what getsockopt
 * showed), send and receive timeouts, the flags, priority, mark and low-water mark that were set,
 * the device it is bound to and its classic BPF filter.
 */
export function setSocketOptions(fd: number, opts: MessageValue, what: string): void {
  if (opts.so_sndbuf !== undefined) setSocketInt(fd, SOL_SOCKET, SO_SNDBUFFORCE, Math.floor(Number(opts.so_sndbuf) / 2), what);
  if (opts.so_rcvbuf !== undefined) setSocketInt(fd, SOL_SOCKET, SO_RCVBUFFORCE, Math.floor(Number(opts.so_rcvbuf) / 2), what);
  setTimeval(fd, SO_SNDTIMEO, opts.so_snd_tmo_sec, opts.so_snd_tmo_usec, what);
  setTimeval(fd, SO_RCVTIMEO, opts.so_rcv_tmo_sec, opts.so_rcv_tmo_usec, what);
  const on = (option: number, value: unknown) => {
    if (value) setSocketInt(fd, SOL_SOCKET, option, Number(value), what);
  };
  on(SO_REUSEADDR, opts.reuseaddr);
  on(SO_PRIORITY, opts.so_priority);
  on(SO_RCVLOWAT, opts.so_rcvlowat);
  on(SO_MARK, opts.so_mark);
  on(SO_PASSCRED, opts.so_passcred);
  on(SO_PASSSEC, opts.so_passsec);
  on(SO_DONTROUTE, opts.so_dontroute);
  on(SO_NO_CHECK, opts.so_no_check);
  on(SO_REUSEPORT, opts.so_reuseport);
  on(SO_BROADCAST, opts.so_broadcast);
  on(SO_KEEPALIVE, opts.so_keepalive);
  on(SO_OOBINLINE, opts.so_oobinline);
  if (opts.so_bound_dev) setSocketOption(fd, SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(`${opts.so_bound_dev}\0`), what);
  const filter = (opts.so_filter ?? []) as (bigint | number)[];
  if (filter.length > 0) {
    const program = kbuf(8 * filter.length);
    filter.forEach((word, i) => program.writeBigUInt64LE(BigInt(word), 8 * i));
    // struct sock_fprog: the count of instructions, then a pointer to them
    const fprog = kbuf(16);
    fprog.writeUInt16LE(filter.length, 0);
    fprog.writeBigUInt64LE(addressOf(program), 8);
    setSocketOption(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, what);
    keepAlive(program);
  }
}

function setTimeval(fd: number, option: number, sec: unknown, usec: unknown, what: string): void {
  if (!sec && !usec) return;
  const value = Buffer.alloc(16);
  value.writeBigUInt64LE(BigInt((sec as bigint | number | undefined) ?? 0), 0);
  value.writeBigUInt64LE(BigInt((usec as bigint | number | undefined) ?? 0), 8);
  setSocketOption(fd, SOL_SOCKET, option, value, what);
}
