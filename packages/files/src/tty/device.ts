/** What a character device is, as far as terminals go, by its device number. */
export type TtyDevice =
  /** A pty master: /dev/ptmx (or devpts' own ptmx), 5:2; which pty it is comes from fdinfo's tty-index. */
  | { readonly kind: 'master' }
  /** A pty slave, /dev/pts/N: majors 136-143 number them from 0. */
  | { readonly kind: 'slave'; readonly index: number }
  /** Another terminal: /dev/tty, the console, a virtual console, a serial line, a BSD pty. */
  | { readonly kind: 'other'; readonly what: string }
  | { readonly kind: 'none' };

const TTYAUX_MAJOR = 5;
const TTY_MAJOR = 4;
const UNIX98_PTY_MASTER_MAJOR = 128;
const UNIX98_PTY_SLAVE_MAJOR = 136;
const UNIX98_PTY_MAJOR_COUNT = 8;
const PTY_MASTER_MAJOR = 2;
const PTY_SLAVE_MAJOR = 3;
const SERIAL_MAJORS = new Set([188, 204]);

/** glibc's dev_t encoding, which node's stat returns. */
export function majorOf(dev: bigint): number {
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
}

export function minorOf(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
}

export function ttyDevice(rdev: bigint): TtyDevice {
  const major = majorOf(rdev);
  const minor = minorOf(rdev);
  if (major === TTYAUX_MAJOR) {
    if (minor === 2) return { kind: 'master' };
    if (minor === 0) return { kind: 'other', what: 'the controlling terminal by its generic name /dev/tty' };
    if (minor === 1) return { kind: 'other', what: 'the system console' };
  }
  if (major >= UNIX98_PTY_SLAVE_MAJOR && major < UNIX98_PTY_SLAVE_MAJOR + UNIX98_PTY_MAJOR_COUNT) {
    return { kind: 'slave', index: (major - UNIX98_PTY_SLAVE_MAJOR) * 256 + minor };
  }
  if (major >= UNIX98_PTY_MASTER_MAJOR && major < UNIX98_PTY_MASTER_MAJOR + UNIX98_PTY_MAJOR_COUNT) return { kind: 'master' };
  if (major === TTY_MAJOR) return { kind: 'other', what: minor < 64 ? 'a virtual console' : 'a serial line' };
  if (SERIAL_MAJORS.has(major)) return { kind: 'other', what: 'a serial line' };
  if (major === PTY_MASTER_MAJOR || major === PTY_SLAVE_MAJOR) return { kind: 'other', what: 'a legacy BSD pty' };
  return { kind: 'none' };
}
