import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { type RemoteTask, RestoreFault, type RestorePlan } from '@criu-ts/subsystem';
import { TCGETS, TIOCSCTTY, TIOCSPGRP } from '../../tty/ioctls.js';
import { TERMIOS_SIZE } from '../../tty/termios.js';
import type { FdRestorer } from '../fd-restorer.js';
import type { FilesRestoreOptions } from '../files-restore-options.js';
import { lockPty, type MadePty, makePty, openPtySlave, type PtyPlan, setSettings } from '../pty-pair.js';
import { readTtyImages, type TtyImages } from '../tty-images.js';

const TTY_TYPE_PTY = 1;
const TTY_TYPE_EXT_TTY = 5;
const F_DUPFD_CLOEXEC = 1030;

/**
 * Ptys. Each pair is made once, when the first fd of either side is restored: a new pty (its index
 * is the kernel's pick and may differ from the dumped one: the tree sees another /dev/pts number
 * and nothing else; CRIU differs only in trying to get the same number, which it cannot promise
 * either). Every slave description is opened through the master (TIOCGPTPEER). The session leader
 * takes its controlling terminal and foreground group back once its fds are in place. A slave whose
 * master was outside the tree (a shell job, with --shell-job) is replaced by our standard input's
 * terminal, given the dumped settings, as CRIU does; a terminal marked --external at dump by the
 * one --inherit-fd fd[N]:tty[RDEV:DEV] names.
 */
export function ttys(options: FilesRestoreOptions): FdRestorer {
  let images: TtyImages | undefined;
  const made = new Map<number, { pty: MadePty; plan: PtyPlan }>();
  const sessions = new Set<number>();
  const nr = hostArch().syscalls;

  const infoOf = (tty: MessageValue, plan: RestorePlan): MessageValue => {
    images ??= readTtyImages(plan.imagesDir);
    const info = images.infos.get(Number(tty.tty_info_id));
    if (!info) throw new RestoreFault('images', `files.img: tty ${tty.id} names tty_info ${tty.tty_info_id}, which tty-info.img lacks`);
    const type = Number(info.type);
    if (type !== TTY_TYPE_PTY && type !== TTY_TYPE_EXT_TTY) throw new RestoreFault('files', `tty ${tty.id} is of type ${type}: only ptys and external terminals can be restored yet`);
    return info;
  };

  const pair = (index: number, plan: RestorePlan): { pty: MadePty; plan: PtyPlan } => {
    const known = made.get(index);
    if (known) return known;
    const ttyImages = images!;
    const masterFile = [...plan.files.values()].find((f) => Number((f.tty as MessageValue | undefined)?.tty_info_id) === index * 2 + 1)?.tty as MessageValue | undefined;
    if (!masterFile) throw new RestoreFault('images', `files.img has no master for pty ${index}`);
    const path = (plan.files.get(Number(masterFile.regf_id))?.reg as MessageValue | undefined)?.name;
    const ptyPlan: PtyPlan = {
      dumpedIndex: index,
      path: path === undefined ? '/dev/ptmx' : String(path),
      flags: Number(masterFile.flags),
      master: ttyImages.infos.get(index * 2 + 1)!,
      slave: ttyImages.infos.get(index * 2),
      input: ttyImages.data.get(index * 2),
      output: ttyImages.data.get(index * 2 + 1),
    };
    const entry = { pty: makePty(ptyPlan), plan: ptyPlan };
    made.set(index, entry);
    return entry;
  };

  return {
    field: 'tty',
    open(tty: MessageValue, plan: RestorePlan) {
      const info = infoOf(tty, plan);
      if (Number(info.type) === TTY_TYPE_EXT_TTY) return externalTerminal(info, options);
      const index = Number((info.pty as MessageValue).index);
      const master = Number(tty.tty_info_id) % 2 === 1;
      if (!master && !images!.infos.has(index * 2 + 1)) return inheritTerminal(info, index, options);
      const { pty, plan: ptyPlan } = pair(index, plan);
      if (!master) return openPtySlave(pty.master, Number(tty.flags), ptyPlan);
      // ours stays open until the end, to lock the pty once its slaves are all open
      const fd = sys(nr.fcntl, pty.master, F_DUPFD_CLOEXEC, 0);
      if (fd < 0) throw new RestoreFault('files', `cannot duplicate the master of pty ${index}: errno ${-fd}`);
      return fd;
    },
    settle(task: RemoteTask, fd: number, tty: MessageValue, plan: RestorePlan) {
      const info = infoOf(tty, plan);
      if (Number(info.type) === TTY_TYPE_EXT_TTY) return takeControllingTerminal(task, fd, info, sessions, `its external terminal ${externalName(info)}`);
      const index = Number((info.pty as MessageValue).index);
      const root = plan.tasks[0];
      if (!images!.infos.has(index * 2 + 1)) {
        // a shell job's terminal: a root that led its own group is put in the foreground, as CRIU does
        if (task.tid === root.pid && root.sid !== root.pid && root.pgid === root.pid) setForeground(task, fd, root.pid);
        return;
      }
      // the master's answers hold for the pair: TIOCGSID and TIOCGPGRP on a master ask about its slave
      takeControllingTerminal(task, fd, images!.infos.get(index * 2 + 1)!, sessions, `pty ${index}`);
    },
    close(restored: boolean) {
      try {
        // locked once every slave the tree held is open; a failed restore only lets go of its ptys
        if (restored) for (const { pty, plan } of made.values()) if (plan.master.locked) lockPty(pty.master, plan);
      } finally {
        for (const { pty } of made.values()) sys(nr.close, pty.master);
        made.clear();
      }
    },
  };
}

/**
 * The session leader takes its controlling terminal back (TIOCSCTTY: on a master it makes the slave
 * the terminal) and its foreground group; once per session.
 */
function takeControllingTerminal(task: RemoteTask, fd: number, info: MessageValue, sessions: Set<number>, what: string): void {
  const sid = Number(info.sid);
  if (sid === 0 || sid !== task.tid || sessions.has(sid)) return;
  sessions.add(sid);
  const { ret } = task.try('ioctl', [fd, TIOCSCTTY, 0]);
  if (ret < 0n) throw new RestoreFault('files', `task ${task.tid} cannot take ${what} back as its controlling terminal: errno ${-ret}`, task.tid);
  if (Number(info.pgrp) !== 0) setForeground(task, fd, Number(info.pgrp));
}

/** CRIU's name of a terminal marked --external: tty[RDEV:DEV] in hex. */
function externalName(info: MessageValue): string {
  return `tty[${Number(info.rdev).toString(16)}:${Number(info.dev ?? 0).toString(16)}]`;
}

/** A terminal marked --external at dump: the one --inherit-fd names, with the dumped settings. */
function externalTerminal(info: MessageValue, options: FilesRestoreOptions): number {
  const name = externalName(info);
  const ours = options.inheritFds?.get(name);
  if (ours === undefined) throw new RestoreFault('files', `the tree used the terminal ${name}, external at dump: restore with --inherit-fd fd[N]:${name}`);
  const fd = sys(hostArch().syscalls.fcntl, ours, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) throw new RestoreFault('files', `--inherit-fd fd[${ours}]:${name}: fd ${ours} is not open here (errno ${-fd})`);
  if (info.termios) setSettings(fd, info, name);
  return fd;
}

/** TIOCSPGRP run by the task (it must be in the terminal's session): group `pgrp` is the foreground. */
function setForeground(task: RemoteTask, fd: number, pgrp: number): void {
  task.resetScratch();
  const value = Buffer.alloc(4);
  value.writeInt32LE(pgrp);
  const { ret } = task.try('ioctl', [fd, TIOCSPGRP, task.put(value)]);
  if (ret < 0n) throw new RestoreFault('files', `task ${task.tid} cannot make process group ${pgrp} the foreground of its terminal: errno ${-ret}`, task.tid);
}

/** A shell job's terminal: our standard input's, with the dumped settings. */
function inheritTerminal(info: MessageValue, index: number, options: FilesRestoreOptions): number {
  if (!options.shellJob) {
    throw new RestoreFault('files', `the tree used /dev/pts/${index}, a terminal from outside it (a shell job): restore with --shell-job, from a terminal`);
  }
  const nr = hostArch().syscalls;
  const termios = kbuf(TERMIOS_SIZE);
  const isTty = sys(nr.ioctl, 0, TCGETS, addressOf(termios));
  keepAlive(termios);
  if (isTty < 0) throw new RestoreFault('files', `--shell-job: the tree's terminal (/dev/pts/${index}) is to be ours, but our standard input is not a terminal`);
  const fd = sys(nr.fcntl, 0, F_DUPFD_CLOEXEC, 0);
  if (fd < 0) throw new RestoreFault('files', `cannot duplicate our standard input: errno ${-fd}`);
  if (info.termios) setSettings(fd, info, `our standard input's terminal, standing for /dev/pts/${index}`);
  return fd;
}
