import { readFileSync, readlinkSync, statSync, type BigIntStats } from 'node:fs';
import { refuse } from '@criu-ts/subsystem';

const O_CLOEXEC = 0o2000000;

/** One fd of a frozen task as /proc shows it: what it points at and the state of its open file. */
export interface OpenFd {
  readonly pid: number;
  readonly fd: number;
  /** The /proc/PID/fd/FD link: a path, or `pipe:[ino]`, `anon_inode:[eventfd]`, `socket:[ino]`... */
  readonly target: string;
  /** stat(2) through the link: the file itself, whatever kind it is. */
  readonly st: BigIntStats;
  /** /proc/PID/fdinfo/FD, whose kind-specific lines (eventfd-count, tfd, wd...) the kinds read. */
  readonly fdinfo: string;
  /** The open file's status flags, without O_CLOEXEC (which belongs to the fd, not the file). */
  readonly flags: number;
  /** Whether the fd is close-on-exec. */
  readonly cloexec: boolean;
  readonly pos: bigint;
  readonly mntId: number;
}

/** Reads what /proc knows of fd `fd` of task `pid`; refuses (naming both) if the fd went away. */
export function readOpenFd(pid: number, fd: number): OpenFd {
  const link = `/proc/${pid}/fd/${fd}`;
  let target: string;
  let st: BigIntStats;
  let fdinfo: string;
  try {
    target = readlinkSync(link);
    st = statSync(link, { bigint: true });
    fdinfo = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
  } catch (e) {
    return refuse('fds', pid, `cannot read fd ${fd} of task ${pid}: ${(e as Error).message}`);
  }
  const field = (name: string) => fdinfoField(fdinfo, name);
  const flags = field('flags');
  if (flags === undefined) refuse('fds', pid, `no flags in /proc/${pid}/fdinfo/${fd}`);
  const all = parseInt(flags, 8);
  return {
    pid,
    fd,
    target,
    st,
    fdinfo,
    flags: all & ~O_CLOEXEC,
    cloexec: (all & O_CLOEXEC) !== 0,
    pos: BigInt(field('pos') ?? '0'),
    mntId: Number(field('mnt_id') ?? '-1'),
  };
}

/** A `name: value` line of an fdinfo text, or undefined. */
export function fdinfoField(fdinfo: string, name: string): string | undefined {
  return new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(fdinfo)?.[1];
}
