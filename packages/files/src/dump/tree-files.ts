import { readdirSync, readFileSync, readlinkSync, statSync, type BigIntStats } from 'node:fs';
import type { MessageValue } from '@criu-ts/images';
import { classifyFd, eventfdCounter, fdinfoFields } from './fd-kind.js';
import { refuse } from '@criu-ts/subsystem';
import { FD_TYPES, FileTable } from './file-table.js';
import { peekPipe } from './pipe-data.js';
import type { DumpRemote } from '@criu-ts/subsystem';

const O_CLOEXEC = 0o2000000;
const O_DIRECT = 0o40000;
const FD_CLOEXEC = 1;
const KCMP_FILE = 0;

/** One open file description already in files.img, and one fd that holds it (for kcmp). */
interface Known {
  readonly pid: number;
  readonly fd: number;
  readonly key: string;
  readonly id: number;
}

/**
 * The files of a whole tree: files.img entries shared by every task, each task's fdinfo, fs and exe,
 * and the queued data of its pipes. An fd that shares its open file description with one seen
 * before (dup, fork) gets the same id, checked with kcmp(KCMP_FILE) run by the task itself.
 */
export class TreeFiles {
  readonly table = new FileTable();
  private readonly known: Known[] = [];
  private readonly pipes = new Map<number, { size: number; data: Uint8Array }>();

  /** The REG id of the task's executable (the exe_file_id of its mm). */
  exe(pid: number): number {
    return this.mapped(pid, `/proc/${pid}/exe`, readlinkSync(`/proc/${pid}/exe`));
  }

  /** The REG id of a file known by a /proc link to it (map_files entry, exe): one per (dev, inode, name). */
  mapped(pid: number, link: string, name: string): number {
    let st: BigIntStats;
    try {
      st = statSync(link, { bigint: true });
    } catch (e) {
      return refuse('files', pid, `cannot stat ${link} (${name}): ${(e as Error).message}`);
    }
    if (name.endsWith(' (deleted)')) refuse('files', pid, `task ${pid} maps the deleted file ${name}: deleted (ghost) files cannot be dumped yet`);
    return this.table.mappedFile(`${st.dev}:${st.ino}:${name}`, name, { mode: Number(st.mode), size: st.size, isFile: st.isFile() });
  }

  /**
   * fdinfo-<files_id>.img entries of task `pid`: every fd with its file id, type and close-on-exec flag.
   * Pipe contents are copied here (once per pipe) for pipes-data.img.
   */
  fds(pid: number, remote: DumpRemote): MessageValue[] {
    let fds: number[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
    } catch (e) {
      return refuse('fds', pid, `cannot list /proc/${pid}/fd: ${(e as Error).message}`);
    }
    // Classify everything first: a refusal must come before any remote work.
    const kinds = fds.map((fd) => ({ fd, kind: classifyFd(pid, fd) }));
    const out: MessageValue[] = [];
    for (const { fd, kind } of kinds) {
      const fdinfo = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
      const info = fdinfoFields(pid, fd, fdinfo);
      const fdFlags = info.flags & O_CLOEXEC ? FD_CLOEXEC : 0;
      // The kernel shows O_CLOEXEC in the file's flags; it belongs to the fd (CRIU keeps it in fdinfo).
      const flags = info.flags & ~O_CLOEXEC;
      let id: number;
      let type: number;
      if (kind.kind === 'reg') {
        type = FD_TYPES.REG;
        const key = `reg:${kind.st.dev}:${kind.st.ino}:${flags}:${info.pos}`;
        id = this.shared(pid, fd, key, remote) ?? this.remember(pid, fd, key, this.table.addReg({ name: kind.path, flags, pos: info.pos, mode: Number(kind.st.mode), size: kind.st.isFile() ? kind.st.size : undefined }));
      } else if (kind.kind === 'eventfd') {
        type = FD_TYPES.EVENTFD;
        const counter = eventfdCounter(pid, fd, fdinfo);
        id = this.shared(pid, fd, `eventfd:${flags}`, remote) ?? this.remember(pid, fd, `eventfd:${flags}`, this.table.addEventfd({ flags, counter }));
      } else {
        type = FD_TYPES.PIPE;
        const pipeFlags = flags & ~O_DIRECT;
        const key = `pipe:${kind.pipeId}:${pipeFlags}`;
        id = this.shared(pid, fd, key, remote) ?? this.remember(pid, fd, key, this.table.addPipe({ pipeId: kind.pipeId, flags: pipeFlags }));
        if (!this.pipes.has(kind.pipeId)) this.pipes.set(kind.pipeId, peekPipe(pid, fd, remote));
      }
      out.push({ id, flags: fdFlags, type, fd });
    }
    return out;
  }

  /** fs-PID.img: cwd and root as REG entries, and the umask. */
  fs(pid: number): MessageValue {
    const cwd = this.table.addPath(readlinkSync(`/proc/${pid}/cwd`), statOf(pid, `/proc/${pid}/cwd`));
    const root = this.table.addPath(readlinkSync(`/proc/${pid}/root`), statOf(pid, `/proc/${pid}/root`));
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const umask = /^Umask:\s*([0-7]+)/m.exec(status);
    const entry: MessageValue = { cwd_id: cwd, root_id: root };
    if (umask) entry.umask = parseInt(umask[1], 8);
    return entry;
  }

  /** pipes-data.img entries: each pipe with unread bytes, its capacity and the bytes as the payload. */
  pipesData(): { message: MessageValue; payload: Uint8Array }[] {
    return [...this.pipes]
      .filter(([, p]) => p.data.length > 0)
      .map(([pipeId, p]) => ({ message: { pipe_id: pipeId, bytes: p.data.length, size: p.size }, payload: p.data }));
  }

  private remember(pid: number, fd: number, key: string, id: number): number {
    this.known.push({ pid, fd, key, id });
    return id;
  }

  /** The id of an open file description seen before that fd `fd` of `pid` shares, if any. */
  private shared(pid: number, fd: number, key: string, remote: DumpRemote): number | undefined {
    for (const k of this.known) {
      if (k.key !== key) continue;
      if (remote.callRaw(pid, 'kcmp', [pid, k.pid, KCMP_FILE, fd, k.fd]) === 0n) return k.id;
    }
    return undefined;
  }
}

function statOf(pid: number, link: string): { mode: number; size: bigint; isFile: boolean } {
  try {
    const st = statSync(link, { bigint: true });
    return { mode: Number(st.mode), size: st.size, isFile: st.isFile() };
  } catch (e) {
    return refuse('fs', pid, `cannot stat ${link}: ${(e as Error).message}`);
  }
}
