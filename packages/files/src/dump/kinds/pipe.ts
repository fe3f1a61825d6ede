import type { FdDumper, KindImage } from '../fd-dumper.js';
import { FD_TYPES } from '../file-table.js';
import { readFown } from '../fown.js';
import { peekPipe, type PipeContents } from '../pipe-data.js';

const O_DIRECT = 0o40000;
const DEFAULT_PIPE_SIZE = 65536;

/**
 * Pipe ends: PIPE entries naming the pipe by inode, with their flags (O_ASYNC too) and owner, and
 * once per pipe its unread bytes and its capacity in pipes-data.img (pipes that are empty and of
 * the default capacity need no entry).
 */
export function pipes(): FdDumper {
  const queued = new Map<number, PipeContents>();
  const pipeId = (target: string) => Number(/^pipe:\[(\d+)\]$/.exec(target)![1]);
  // O_DIRECT (packet mode) is left out as CRIU does
  const flagsOf = (flags: number) => flags & ~O_DIRECT;
  return {
    name: 'pipe',
    type: FD_TYPES.PIPE,
    field: 'pipe',
    claims: (fd) => /^pipe:\[\d+\]$/.test(fd.target),
    key: (fd) => `pipe:${pipeId(fd.target)}:${flagsOf(fd.flags)}`,
    entry(fd, id) {
      const pipe = pipeId(fd.target);
      if (!queued.has(pipe)) queued.set(pipe, peekPipe(fd.pid, fd.fd));
      return { id, pipe_id: pipe, flags: flagsOf(fd.flags), fown: readFown(fd) };
    },
    images(): KindImage[] {
      const entries = [...queued]
        .filter(([, p]) => p.data.length > 0 || p.size !== DEFAULT_PIPE_SIZE)
        .map(([pipe, p]) => ({ message: { pipe_id: pipe, bytes: p.data.length, size: p.size }, type: 'pipe_data_entry', payload: p.data }));
      return entries.length > 0 ? [{ name: 'pipes-data.img', magic: 'PIPES_DATA', entries }] : [];
    },
  };
}
