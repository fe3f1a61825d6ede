import type { MessageValue } from '@criu-ts/images';
import { addressOf, errnoName, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { RestoreFault } from '@criu-ts/subsystem';
import type { FdRestorer } from '../fd-restorer.js';
import { restoreFown } from '../fown.js';

const TFD_NONBLOCK = 0o4000;
const TFD_CLOEXEC = 0o2000000;
const TFD_TIMER_ABSTIME = 1;
/** _IOW('T', 0, __u64): sets the expirations a timerfd holds (CONFIG_CHECKPOINT_RESTORE). */
const TFD_IOC_SET_TICKS = 0x40085400;
const ENOTTY = 25;
const CLOCK_REALTIME = 0;
const CLOCK_BOOTTIME = 7;
const CLOCK_REALTIME_ALARM = 8;
const CLOCK_BOOTTIME_ALARM = 9;
const NSEC_PER_SEC = 1_000_000_000n;

/**
 * A timerfd: made on its clock, armed so that it next fires after the time it had left at dump
 * (time spent between dump and restore does not count, as in CRIU), with its interval and settime
 * flags, and holding again the expirations the task had not read yet. An ABSTIME timer stays
 * absolute (its expiry becomes now + time left on its clock), so a later clock_settime still moves
 * it and TFD_TIMER_CANCEL_ON_SET still applies. Its original expiry is not known here: CRIU's image
 * holds the time left at dump and no time of the dump, so a CLOCK_REALTIME one too fires the time
 * it had left after the restore, not at the wall-clock time it was set for.
 */
export const timerfds: FdRestorer = {
  field: 'tfd',
  open(tfd: MessageValue) {
    const nr = hostArch().syscalls;
    const id = String(tfd.id);
    const clockid = Number(tfd.clockid);
    const fd = sys(nr.timerfd_create, clockid, TFD_CLOEXEC | (Number(tfd.flags) & TFD_NONBLOCK));
    if (fd < 0) throw new RestoreFault('files', `timerfd_create on clock ${clockid} failed for timerfd ${id}: ${errnoName(-fd)}`);
    try {
      arm(fd, tfd);
      setTicks(fd, tfd);
      restoreFown(fd, tfd.fown as MessageValue | undefined, `timerfd ${id}`);
    } catch (e) {
      sys(nr.close, fd);
      throw e;
    }
    return fd;
  },
};

function arm(fd: number, tfd: MessageValue): void {
  const nr = hostArch().syscalls;
  const flags = Number(tfd.settime_flags);
  let left = BigInt(tfd.vsec as bigint) * NSEC_PER_SEC + BigInt(tfd.vnsec as bigint);
  // a disarmed timer stays disarmed: a zero value disarms whatever the flags
  if (left !== 0n && flags & TFD_TIMER_ABSTIME) left += now(Number(tfd.clockid), String(tfd.id));
  // struct itimerspec { it_interval, it_value }
  const spec = kbuf(32);
  spec.writeBigInt64LE(BigInt(tfd.isec as bigint), 0);
  spec.writeBigInt64LE(BigInt(tfd.insec as bigint), 8);
  spec.writeBigInt64LE(left / NSEC_PER_SEC, 16);
  spec.writeBigInt64LE(left % NSEC_PER_SEC, 24);
  const r = sys(nr.timerfd_settime, fd, flags, addressOf(spec), 0);
  keepAlive(spec);
  if (r < 0) throw new RestoreFault('files', `timerfd_settime failed for timerfd ${String(tfd.id)} (flags 0x${flags.toString(16)}): ${errnoName(-r)}`);
}

/** Expirations counted before the dump and not read: given back after settime, which clears them. */
function setTicks(fd: number, tfd: MessageValue): void {
  const ticks = BigInt(tfd.ticks as bigint);
  if (ticks === 0n) return;
  const value = kbuf(8);
  value.writeBigUInt64LE(ticks);
  const r = sys(hostArch().syscalls.ioctl, fd, TFD_IOC_SET_TICKS, addressOf(value));
  keepAlive(value);
  if (r === -ENOTTY) throw new RestoreFault('files', `timerfd ${String(tfd.id)} held ${ticks} unread expirations, and this kernel cannot set them (TFD_IOC_SET_TICKS needs CONFIG_CHECKPOINT_RESTORE)`);
  if (r < 0) throw new RestoreFault('files', `cannot give timerfd ${String(tfd.id)} its ${ticks} unread expirations: TFD_IOC_SET_TICKS ${errnoName(-r)}`);
}

/** The time on `clockid` in nanoseconds; an alarm clock reads as the clock it wakes on. */
function now(clockid: number, id: string): bigint {
  const clock = clockid === CLOCK_REALTIME_ALARM ? CLOCK_REALTIME : clockid === CLOCK_BOOTTIME_ALARM ? CLOCK_BOOTTIME : clockid;
  const ts = kbuf(16);
  const r = sys(hostArch().syscalls.clock_gettime, clock, addressOf(ts));
  keepAlive(ts);
  if (r < 0) throw new RestoreFault('files', `clock_gettime(${clock}) failed for timerfd ${id}: ${errnoName(-r)}`);
  return ts.readBigInt64LE(0) * NSEC_PER_SEC + ts.readBigInt64LE(8);
}
