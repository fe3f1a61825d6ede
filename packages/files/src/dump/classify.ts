import { refuse } from '@criu-ts/subsystem';
import type { FdDumper } from './fd-dumper.js';
import type { OpenFd } from './open-fd.js';

const S_IFMT = 0o170000n;

/** The kind that dumps `fd`; anything no kind claims is refused with the task, the fd and what it is. */
export function classifyFd(fd: OpenFd, kinds: readonly FdDumper[]): FdDumper {
  for (const kind of kinds) if (kind.claims(fd)) return kind;
  return refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} is ${describe(fd)}: this kind of file cannot be dumped yet`);
}

function describe(fd: OpenFd): string {
  if (!fd.target.startsWith('/')) return fd.target;
  const type = fd.st.mode & S_IFMT;
  const what =
    type === 0o020000n ? `character device ${fd.st.rdev >> 8n}:${fd.st.rdev & 0xffn}`
    : type === 0o010000n ? 'a FIFO'
    : type === 0o060000n ? 'a block device'
    : type === 0o140000n ? 'a socket'
    : 'a special file';
  return `${fd.target} (${what})`;
}
