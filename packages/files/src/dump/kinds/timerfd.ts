import { readFileSync } from 'node:fs';
import type { MessageValue } from '@criu-ts/images';
import { addressOf, errnoName, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { refuse } from '@criu-ts/subsystem';
import type { FdDumper } from '../fd-dumper.js';
import { FD_TYPES } from '../file-table.js';
import { readFown } from '../fown.js';
import { fdinfoField, type OpenFd } from '../open-fd.js';
import { withStolenFd } from '../stolen-fd.js';

/** A periodic timer that expires again between two looks is looked at again, this many times. */
const ATTEMPTS = 5;

/**
 * timerfds: the clock, the expirations counted but not yet read (ticks), the settime flags
 * (TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET), and the time left until the next expiry with the
 * interval, as CRIU writes them (the time left is relative even for an ABSTIME timer: that is what
 * the kernel tells). Whether a CANCEL_ON_SET timer was already cancelled by a clock change is not
 * shown by the kernel and is not kept.
 */
export const timerfds: FdDumper = {
  name: 'timerfd',
  type: FD_TYPES.TIMERFD,
  field: 'tfd',
  claims: (fd) => fd.target === 'anon_inode:[timerfd]',
  // every timerfd shares one anonymous inode: kcmp tells instances apart
  key: (fd) => `timerfd:${fd.flags}:${fdinfoField(fd.fdinfo, 'clockid')}`,
  entry(fd, id) {
    const state = readTimerfd(fd);
    return { id, flags: fd.flags, fown: readFown(fd), ...state };
  },
};

/**
 * The timer's state, read through a copy of the task's fd. A periodic timer that expired is only
 * moved on to its next expiry (its missed expirations added to ticks) when someone reads it or asks
 * timerfd_gettime; until then fdinfo shows it with no time left, and restored so it would be disarmed.
 * So timerfd_gettime goes first, and fdinfo, which shows clock, ticks, flags, time left and interval
 * together under the timer's lock, is read right after; if an armed timer shows no time left there,
 * it expired again in between, and both are done again.
 */
function readTimerfd(fd: OpenFd): MessageValue {
  const nr = hostArch().syscalls;
  return withStolenFd(fd.pid, fd.fd, (local) => {
    const spec = kbuf(32);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const r = sys(nr.timerfd_gettime, local, addressOf(spec));
      keepAlive(spec);
      if (r < 0) refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} (timerfd): timerfd_gettime failed: ${errnoName(-r)}`);
      // struct itimerspec { it_interval, it_value }: an armed timer has time left once moved on
      const armed = spec.readBigInt64LE(16) !== 0n || spec.readBigInt64LE(24) !== 0n;
      const state = parseTimerfd(fd, readFileSync(`/proc/self/fdinfo/${local}`, 'utf8'));
      const expiredSince = state.vsec === 0n && state.vnsec === 0n;
      if (!armed || !expiredSince) return state;
    }
    return refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} (timerfd): the periodic timer kept expiring while it was read (${ATTEMPTS} times)`);
  });
}

/**
 * `clockid: %d`, `ticks: %llu`, `settime flags: 0%o`, `it_value: (%llu, %llu)`,
 * `it_interval: (%llu, %llu)`: the timerfd lines of an fdinfo text.
 */
function parseTimerfd(fd: OpenFd, fdinfo: string): MessageValue & { vsec: bigint; vnsec: bigint; isec: bigint; insec: bigint } {
  const bad = (what: string): never => refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} (timerfd): no ${what} in its fdinfo`);
  const clockid = fdinfoField(fdinfo, 'clockid') ?? bad('clockid');
  const ticks = fdinfoField(fdinfo, 'ticks') ?? bad('ticks');
  const flags = fdinfoField(fdinfo, 'settime flags') ?? bad('settime flags');
  const pair = (name: string): [bigint, bigint] => {
    const m = new RegExp(`^${name}:\\s*\\((\\d+),\\s*(\\d+)\\)`, 'm').exec(fdinfo) ?? bad(name);
    return [BigInt(m[1]), BigInt(m[2])];
  };
  const [vsec, vnsec] = pair('it_value');
  const [isec, insec] = pair('it_interval');
  return { clockid: Number(clockid), ticks: BigInt(ticks), settime_flags: parseInt(flags, 8), vsec, vnsec, isec, insec };
}
