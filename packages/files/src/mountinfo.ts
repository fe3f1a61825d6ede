import { readFileSync } from 'node:fs';

/** One line of /proc/PID/mountinfo, the fields the fd kinds need. */
export interface Mount {
  readonly mntId: number;
  /** The filesystem's device as major:minor. */
  readonly dev: string;
  readonly mountPoint: string;
}

/** The mounts task `pid` (or this process) sees; the paths unescaped. */
export function readMounts(pid: number | 'self'): Mount[] {
  return readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const f = line.split(' ');
      return { mntId: Number(f[0]), dev: f[2], mountPoint: unescape(f[4]) };
    });
}

/** mountinfo escapes space, tab, newline and backslash as \ooo. */
function unescape(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}
