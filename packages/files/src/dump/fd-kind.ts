import { readlinkSync, statSync, type BigIntStats } from 'node:fs';
import { refuse } from '@criu-ts/subsystem';

/** What an fd of a task points at, as far as this dump is concerned. */
export type FdKind =
  | { readonly kind: 'reg'; readonly path: string; readonly st: BigIntStats }
  | { readonly kind: 'pipe'; readonly pipeId: number }
  | { readonly kind: 'eventfd' };

const S_IFMT = 0o170000n;
const S_IFREG = 0o100000n;
const S_IFDIR = 0o040000n;
const S_IFCHR = 0o020000n;
/** Character devices that behave as plain files when reopened by path (null, zero, full, random, urandom...). */
const MEM_MAJOR = 1n;

/**
 * Classifies fd `fd` of task `pid` from its /proc link. Regular files, directories and the memory
 * character devices are REG entries (CRIU writes /dev/null that way too); pipes are PIPE; eventfds
 * are EVENTFD. Anything
 * else is refused with the pid, the fd and its kind, before anything is written.
 */
export function classifyFd(pid: number, fd: number): FdKind {
  const link = `/proc/${pid}/fd/${fd}`;
  let target: string;
  try {
    target = readlinkSync(link);
  } catch (e) {
    return refuse('fds', pid, `cannot read ${link}: ${(e as Error).message}`);
  }
  const pipe = /^pipe:\[(\d+)\]$/.exec(target);
  if (pipe) return { kind: 'pipe', pipeId: Number(pipe[1]) };
  if (target === 'anon_inode:[eventfd]') return { kind: 'eventfd' };
  if (!target.startsWith('/')) return refuse('fds', pid, `task ${pid} fd ${fd} is ${target}: this kind of file cannot be dumped yet`);
  if (target.endsWith(' (deleted)')) return refuse('fds', pid, `task ${pid} fd ${fd} is the deleted file ${target}: deleted (ghost) files cannot be dumped yet`);
  const st = statSync(link, { bigint: true });
  const type = st.mode & S_IFMT;
  if (type === S_IFREG || type === S_IFDIR) return { kind: 'reg', path: target, st };
  if (type === S_IFCHR && st.rdev >> 8n === MEM_MAJOR) return { kind: 'reg', path: target, st };
  const what = type === S_IFCHR ? `character device ${st.rdev >> 8n}:${st.rdev & 0xffn}` : type === 0o010000n ? 'a FIFO' : type === 0o060000n ? 'a block device' : 'a special file';
  return refuse('fds', pid, `task ${pid} fd ${fd} is ${target} (${what}): this kind of file cannot be dumped yet`);
}

/** pos, flags and mnt_id from /proc/PID/fdinfo/FD. */
export function fdinfoFields(pid: number, fd: number, text: string): { pos: bigint; flags: number; mntId: number } {
  const get = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(text)?.[1];
  const flags = get('flags');
  if (flags === undefined) refuse('fds', pid, `no flags in /proc/${pid}/fdinfo/${fd}`);
  return { pos: BigInt(get('pos') ?? '0'), flags: parseInt(flags, 8), mntId: Number(get('mnt_id') ?? '-1') };
}

/** An eventfd's counter from its fdinfo (the kernel prints it in hex); semaphore mode is refused. */
export function eventfdCounter(pid: number, fd: number, text: string): bigint {
  const count = /^eventfd-count:\s*([0-9a-f]+)/m.exec(text)?.[1];
  if (count === undefined) refuse('fds', pid, `no eventfd-count in /proc/${pid}/fdinfo/${fd}`);
  if (/^eventfd-semaphore:\s*1/m.test(text)) refuse('fds', pid, `task ${pid} fd ${fd} is an eventfd in semaphore mode, which cannot be dumped yet`);
  return BigInt(`0x${count}`);
}
