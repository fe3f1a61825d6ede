import { closeSync, openSync } from 'node:fs';
import { isatty } from 'node:tty';
import { hostArch, sys } from '@criu-ts/ptrace';

let armed = false;

/**
 * A shell job restored onto our terminal has been given its own terminal settings (termios, file
 * status flags). Node puts back, as it exits, the settings its standard streams had when it started
 * (ECHO on again, O_NONBLOCK cleared...), which would undo them under the running job. Node only
 * does that to a stream that is still the same file, so at exit every standard stream that is a
 * terminal is pointed at /dev/null first. Once per process, whatever the number of restores.
 */
export function leaveTerminalToRestoredJob(): void {
  if (armed) return;
  armed = true;
  process.on('exit', () => {
    const terminals = [0, 1, 2].filter((fd) => isatty(fd));
    if (terminals.length === 0) return;
    const devNull = openSync('/dev/null', 'r+');
    for (const fd of terminals) sys(hostArch().syscalls.dup3, devNull, fd, 0);
    closeSync(devNull);
  });
}
