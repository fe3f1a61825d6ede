import type { MessageValue } from '@criu-ts/images';
import type { DeletedFiles } from '../deleted-files.js';
import type { FdDumper } from '../fd-dumper.js';
import { FD_TYPES } from '../file-table.js';
import { readFown } from '../fown.js';

const S_IFMT = 0o170000n;
const S_IFREG = 0o100000n;
const S_IFDIR = 0o040000n;
const S_IFCHR = 0o020000n;
const O_PATH = 0o10000000;
/** Character devices that behave as plain files when reopened by path (null, zero, full, random, urandom...). */
const MEM_MAJOR = 1n;

/**
 * Regular files (on any file system: disk, tmpfs, /proc, /sys), directories, the memory character
 * devices, and O_PATH fds of any file: REG entries reopened by path with their flags, at their
 * offset, with their owner (fown). CRIU writes /dev/null that way too. Deleted files are remapped
 * (see deleted-files.ts): ghost files saved in the images, or link remaps.
 */
export function regularFiles(deleted: DeletedFiles): FdDumper {
  return {
    name: 'regular file',
    type: FD_TYPES.REG,
    field: 'reg',
    claims(fd) {
      if (!fd.target.startsWith('/') || isMemfd(fd.target)) return false;
      const type = fd.st.mode & S_IFMT;
      const chardev = type === S_IFCHR && fd.st.rdev >> 8n === MEM_MAJOR;
      // an O_PATH fd only names a file: reopening it by path does not open the file itself (a FIFO, a device)
      const path = (fd.flags & O_PATH) !== 0;
      if (type !== S_IFREG && type !== S_IFDIR && !chardev && !path) return false;
      deleted.find(fd.pid, `fd ${fd.fd}`, fd.target, fd.st);
      return true;
    },
    key: (fd) => `reg:${fd.st.dev}:${fd.st.ino}:${fd.flags}:${fd.pos}`,
    entry(fd, id, ctx) {
      const gone = deleted.find(fd.pid, `fd ${fd.fd}`, fd.target, fd.st);
      const reg: MessageValue = { id, flags: fd.flags, pos: fd.pos, fown: readFown(fd), name: gone?.path ?? fd.target };
      if (fd.st.isFile()) reg.size = fd.st.size;
      reg.mode = Number(fd.st.mode);
      if (gone) deleted.remap(id, gone, fd.pid, `/proc/${fd.pid}/fd/${fd.fd}`, fd.st, ctx.table);
      return reg;
    },
    images: () => deleted.images(),
  };
}

/** A memfd is shown as "/memfd:NAME (deleted)": no file on any path, and not a ghost. */
function isMemfd(target: string): boolean {
  return target.startsWith('/memfd:') && target.endsWith(' (deleted)');
}
