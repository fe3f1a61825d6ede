/**
 * Terminal ioctl requests, as asm-generic numbers them (x86-64 and arm64 share them; ppc64 has its
 * own TCGETS/TCSETS and friends).
 */
export const TCGETS = 0x5401;
export const TCSETS = 0x5402;
export const TIOCEXCL = 0x540c;
export const TIOCSCTTY = 0x540e;
export const TIOCGPGRP = 0x540f;
export const TIOCSPGRP = 0x5410;
export const TIOCGWINSZ = 0x5413;
export const TIOCSWINSZ = 0x5414;
export const TIOCPKT = 0x5420;
export const TIOCGSID = 0x5429;
export const TIOCGPTN = 0x80045430;
export const TIOCSPTLCK = 0x40045431;
export const TIOCGPKT = 0x80045438;
export const TIOCGPTLCK = 0x80045439;
export const TIOCGEXCL = 0x80045440;
/** Opens the slave of a pty master (Linux 4.13): no path, so no race with another pty of the same number. */
export const TIOCGPTPEER = 0x5441;
export const TIOCGLCKTRMIOS = 0x5456;
export const TIOCSLCKTRMIOS = 0x5457;
