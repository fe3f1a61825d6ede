import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, sys } from '@criu-ts/ptrace';
import { RestoreFault } from '@criu-ts/subsystem';
import type { FdRestorer } from '../fd-restorer.js';

const AT_FDCWD = -100;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_TRUNC = 0o1000;
const O_CLOEXEC = 0o2000000;
const SEEK_SET = 0;

/** Regular files, directories and memory devices, reopened by path as they were opened, at their offset. */
export const regularFiles: FdRestorer = {
  field: 'reg',
  open(reg: MessageValue) {
    const nr = hostArch().syscalls;
    const path = String(reg.name);
    // as it was opened, minus what would change the file itself
    const flags = (Number(reg.flags) & ~(O_CREAT | O_EXCL | O_TRUNC)) | O_CLOEXEC;
    const name = kbuf(Buffer.byteLength(path) + 1);
    name.write(path);
    const fd = sys(nr.openat, AT_FDCWD, addressOf(name), flags, 0);
    if (fd < 0) throw new RestoreFault('files', `cannot reopen ${path}: errno ${-fd}`);
    const pos = BigInt((reg.pos as bigint | undefined) ?? 0n);
    if (pos !== 0n) {
      const at = sys(nr.lseek, fd, pos, SEEK_SET);
      if (at < 0) {
        sys(nr.close, fd);
        throw new RestoreFault('files', `cannot seek ${path} to ${pos}: errno ${-at}`);
      }
    }
    return fd;
  },
};
