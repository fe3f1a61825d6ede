import { refuse } from '@criu-ts/subsystem';
import type { FdDumper } from '../fd-dumper.js';
import { FD_TYPES, NO_OWNER } from '../file-table.js';

const S_IFMT = 0o170000n;
const S_IFREG = 0o100000n;
const S_IFDIR = 0o040000n;
const S_IFCHR = 0o020000n;
/** Character devices that behave as plain files when reopened by path (null, zero, full, random, urandom...). */
const MEM_MAJOR = 1n;

/**
 * Regular files, directories and the memory character devices: REG entries reopened by path at
 * their offset (CRIU writes /dev/null that way too).
 */
export const regularFiles: FdDumper = {
  name: 'regular file',
  type: FD_TYPES.REG,
  field: 'reg',
  claims(fd) {
    if (!fd.target.startsWith('/')) return false;
    const type = fd.st.mode & S_IFMT;
    const chardev = type === S_IFCHR && fd.st.rdev >> 8n === MEM_MAJOR;
    if (type !== S_IFREG && type !== S_IFDIR && !chardev) return false;
    if (fd.target.endsWith(' (deleted)')) refuse('fds', fd.pid, `task ${fd.pid} fd ${fd.fd} is the deleted file ${fd.target}: deleted (ghost) files cannot be dumped yet`);
    return true;
  },
  key: (fd) => `reg:${fd.st.dev}:${fd.st.ino}:${fd.flags}:${fd.pos}`,
  entry(fd, id) {
    const reg = { id, flags: fd.flags, pos: fd.pos, fown: NO_OWNER, name: fd.target } as Record<string, unknown>;
    if (fd.st.isFile()) reg.size = fd.st.size;
    reg.mode = Number(fd.st.mode);
    return reg as never;
  },
};
