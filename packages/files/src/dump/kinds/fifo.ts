import type { DeletedFiles } from '../deleted-files.js';
import type { FdDumper, KindImage } from '../fd-dumper.js';
import { FD_TYPES } from '../file-table.js';
import { readFown } from '../fown.js';
import { peekPipe, type PipeContents } from '../pipe-data.js';

const S_IFMT = 0o170000n;
const S_IFIFO = 0o010000n;
const DEFAULT_PIPE_SIZE = 65536;

/**
 * Named pipes, as CRIU writes them: a FIFO entry {id, pipe_id, regf_id} whose REG entry (regf_id)
 * holds the FIFO's path, flags and owner, and once per FIFO its unread bytes and capacity in
 * fifo-data.img (pipe_id is the FIFO's inode number). The bytes are peeked as a pipe's are, without
 * consuming them. O_PATH fds of a FIFO are no open ends: regular.ts takes them.
 */
export function fifos(deleted: DeletedFiles): FdDumper {
  const queued = new Map<number, PipeContents>();
  const pipeId = (ino: bigint) => Number(ino & 0xffffffffn);
  return {
    name: 'FIFO',
    type: FD_TYPES.FIFO,
    field: 'fifo',
    claims(fd) {
      if (!fd.target.startsWith('/') || (fd.st.mode & S_IFMT) !== S_IFIFO) return false;
      deleted.find(fd.pid, `fd ${fd.fd}`, fd.target, fd.st);
      return true;
    },
    key: (fd) => `fifo:${fd.st.dev}:${fd.st.ino}:${fd.flags}`,
    entry(fd, id, ctx) {
      const gone = deleted.find(fd.pid, `fd ${fd.fd}`, fd.target, fd.st);
      const regfId = ctx.table.addReg({ name: gone?.path ?? fd.target, flags: fd.flags, pos: 0n, mode: Number(fd.st.mode), fown: readFown(fd) });
      if (gone) deleted.remap(regfId, gone, fd.pid, `/proc/${fd.pid}/fd/${fd.fd}`, fd.st, ctx.table);
      const pipe = pipeId(fd.st.ino);
      if (!queued.has(pipe)) queued.set(pipe, peekPipe(fd.pid, fd.fd));
      return { id, pipe_id: pipe, regf_id: regfId };
    },
    images(): KindImage[] {
      const entries = [...queued]
        .filter(([, p]) => p.data.length > 0 || p.size !== DEFAULT_PIPE_SIZE)
        .map(([pipe, p]) => ({ message: { pipe_id: pipe, bytes: p.data.length, size: p.size }, type: 'pipe_data_entry', payload: p.data }));
      return entries.length > 0 ? [{ name: 'fifo-data.img', magic: 'FIFO_DATA', entries }] : [];
    },
  };
}
