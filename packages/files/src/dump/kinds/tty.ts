import type { MessageValue } from '@criu-ts/images';
import { refuse } from '@criu-ts/subsystem';
import type { FdDumper, KindImage } from '../fd-dumper.js';
import { FD_TYPES } from '../file-table.js';
import type { FilesDumpOptions } from '../files-dump-options.js';
import { readFown } from '../fown.js';
import { fdinfoField, type OpenFd } from '../open-fd.js';
import { readTtyInfo } from '../tty-info.js';
import { type PtyEnd, readPtyQueues } from '../tty-queue.js';
import { ttyDevice } from '../../tty/device.js';

const S_IFMT = 0o170000n;
const S_IFCHR = 0o020000n;
/** Where CRIU numbers external terminals from. */
const ETTY_INDEX = 1012;

/** What the tree holds of one pty: the first fd seen of each side, and its tty_info entries. */
interface Pty {
  master?: PtyEnd & { target: string };
  slave?: PtyEnd & { target: string };
  readonly infos: Map<number, MessageValue>;
}

/**
 * Unix98 ptys: TTY entries (each with a REG entry for the path it was opened by), one tty_info
 * per pty side (termios, window size, session, foreground group, packet and lock states) with id
 * index * 2 + 1 for the master and index * 2 for the slave, as CRIU numbers them, and the bytes
 * queued on a pair whose both sides the tree holds (tty-data.img). A slave whose master is outside
 * the tree is a shell job's terminal: refused unless --shell-job (then the restore hands in its
 * own). A terminal marked --external tty[RDEV:DEV] (hex, as CRIU spells them) is an EXT_TTY with its
 * settings and no path, numbered from 1012 as CRIU does: the restore takes it from --inherit-fd.
 * Other terminals (/dev/tty, consoles, serial lines) are refused.
 */
export function ttys(options: FilesDumpOptions): FdDumper {
  const ptys = new Map<number, Pty>();
  const marked = new Set((options.external ?? []).filter((e) => e.startsWith('tty[')));
  /** tty_info of each external terminal, by its --external key. */
  const externals = new Map<string, MessageValue>();
  const externalKey = (fd: OpenFd) => `tty[${fd.st.rdev.toString(16)}:${fd.st.dev.toString(16)}]`;
  const indexOf = (fd: OpenFd): number => {
    const device = ttyDevice(fd.st.rdev);
    if (device.kind === 'slave') return device.index;
    const index = fdinfoField(fd.fdinfo, 'tty-index');
    if (index === undefined) return refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} is a pty master whose fdinfo has no tty-index`);
    return Number(index);
  };
  return {
    name: 'tty',
    type: FD_TYPES.TTY,
    field: 'tty',
    claims(fd) {
      if (!fd.target.startsWith('/') || (fd.st.mode & S_IFMT) !== S_IFCHR) return false;
      if (marked.has(externalKey(fd))) return true;
      const device = ttyDevice(fd.st.rdev);
      if (device.kind === 'none') return false;
      if (device.kind === 'other') refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} is ${fd.target}, ${device.what}: only ptys can be dumped yet`);
      return true;
    },
    key: (fd) => (marked.has(externalKey(fd)) ? `tty:${externalKey(fd)}:${fd.flags}` : `tty:${fd.st.rdev}:${indexOf(fd)}:${fd.flags}`),
    entry(fd, id, ctx): MessageValue {
      const fown = readFown(fd);
      const key = externalKey(fd);
      if (marked.has(key)) {
        let info = externals.get(key);
        if (!info) externals.set(key, (info = readTtyInfo(fd, (ETTY_INDEX + externals.size + 1) * 2, undefined, ctx.remote)));
        return { id, tty_info_id: info.id, flags: fd.flags, fown };
      }
      const master = ttyDevice(fd.st.rdev).kind === 'master';
      const index = indexOf(fd);
      const infoId = index * 2 + (master ? 1 : 0);
      let pty = ptys.get(index);
      if (!pty) ptys.set(index, (pty = { infos: new Map() }));
      const side = master ? 'master' : 'slave';
      if (!pty[side]) pty[side] = { pid: fd.pid, fd: fd.fd, target: fd.target };
      if (!pty.infos.has(infoId)) pty.infos.set(infoId, readTtyInfo(fd, infoId, index, ctx.remote));
      const regf = ctx.table.addReg({ name: fd.target, flags: fd.flags, pos: fd.pos, mode: Number(fd.st.mode), fown });
      return { id, tty_info_id: infoId, flags: fd.flags, fown, regf_id: regf };
    },
    images(): KindImage[] {
      const infos: MessageValue[] = [...externals.values()];
      const data: { message: MessageValue; type: string }[] = [];
      for (const [index, pty] of ptys) {
        checkSession(index, pty, options.shellJob ?? false);
        infos.push(...pty.infos.values());
        if (!pty.master || !pty.slave) continue;
        const queues = readPtyQueues(pty.master, pty.slave);
        // as CRIU files them: under the side that read them
        if (queues.input.length > 0) data.push({ message: { tty_id: index * 2, data: queues.input }, type: 'tty_data_entry' });
        if (queues.output.length > 0) data.push({ message: { tty_id: index * 2 + 1, data: queues.output }, type: 'tty_data_entry' });
      }
      const images: KindImage[] = [];
      if (infos.length > 0) images.push({ name: 'tty-info.img', magic: 'TTY_INFO', entries: infos.map((message) => ({ message, type: 'tty_info_entry' })) });
      if (data.length > 0) images.push({ name: 'tty-data.img', magic: 'TTY_DATA', entries: data });
      return images;
    },
  };
}

/**
 * A pty the tree holds both sides of can be some session's controlling terminal only if that
 * session's leader holds it too: the leader takes it again at restore. A slave alone is the
 * terminal of a shell outside the tree: a shell job.
 */
function checkSession(index: number, pty: Pty, shellJob: boolean): void {
  const end = (pty.slave ?? pty.master)!;
  if (!pty.master) {
    if (shellJob) return;
    refuse('fds', end.pid, `task ${end.pid} fd ${end.fd} is ${end.target}, whose master is not in the dumped tree (a terminal the tree was started from): dump with --shell-job`);
  }
  const sid = Number((pty.infos.get(index * 2 + 1) ?? pty.infos.get(index * 2))?.sid ?? 0);
  if (sid === 0 || sid === pty.master?.pid || sid === pty.slave?.pid) return;
  refuse('fds', end.pid, `task ${end.pid} fd ${end.fd} is ${end.target}, the controlling terminal of session ${sid}, whose leader holds no fd of it or is not dumped: not supported yet`);
}
