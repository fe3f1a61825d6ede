import type { FdDumper } from '../fd-dumper.js';
import { FD_TYPES } from '../file-table.js';
import type { FilesDumpOptions } from '../files-dump-options.js';
import { readFown } from '../fown.js';
import type { OpenFd } from '../open-fd.js';

/**
 * Files marked --external file[MNT_ID:INODE] (both in hex, as CRIU spells them: the fd's mnt_id
 * from fdinfo and its inode): REG entries named by that key with `ext` set, keeping their flags and
 * offset but not their path. The restore reopens the file the user hands in with --inherit-fd
 * fd[N]:file[MNT_ID:INODE], and refuses without it.
 */
export function externalFiles(options: FilesDumpOptions): FdDumper {
  const marked = new Set((options.external ?? []).filter((e) => e.startsWith('file[')));
  const keyOf = (fd: OpenFd) => `file[${fd.mntId.toString(16)}:${fd.st.ino.toString(16)}]`;
  return {
    name: 'external file',
    type: FD_TYPES.REG,
    field: 'reg',
    claims: (fd) => marked.size > 0 && marked.has(keyOf(fd)),
    key: (fd) => `external:${keyOf(fd)}:${fd.flags}:${fd.pos}`,
    entry: (fd, id) => ({ id, flags: fd.flags, pos: fd.pos, fown: readFown(fd), name: keyOf(fd), ext: true, mode: Number(fd.st.mode) }),
  };
}
