import type { MessageValue } from '@criu-ts/images';
import { hostArch, sys } from '@criu-ts/ptrace';
import { RestoreFault, type RestorePlan } from '@criu-ts/subsystem';
import type { FdRestorer, ShmemFds } from '../fd-restorer.js';
import { restoreFown } from '../fown.js';
import { reopen } from '../../reopen.js';

const O_ACCMODE = 3;
const O_RDWR = 2;
const F_DUPFD_CLOEXEC = 1030;
const F_SETFL = 4;
const SEEK_SET = 0;

/**
 * memfds, opened on the object the shmem table made for their inode (named, filled, owned, sealed
 * at the end), so writes through a task's mapping of it show in reads on its fds. The first
 * read-write open file of an inode is the memfd_create file itself, as at dump time (only that one
 * can be run with execveat, the kernel counts other read-write opens as writers); any other is a
 * reopen through /proc with its own flags.
 */
export function memfds(shmem: ShmemFds | undefined): FdRestorer {
  const originalGiven = new Set<number>();
  const nr = hostArch().syscalls;
  return {
    field: 'memfd',
    open(memfd: MessageValue, plan: RestorePlan) {
      const id = Number(memfd.id);
      const shmid = plan.memfdShmid.get(id);
      const object = shmid === undefined ? undefined : plan.shmem.get(shmid);
      if (!object) throw new RestoreFault('files', `memfd ${id} has no inode in memfd.img`);
      if (!shmem) throw new RestoreFault('files', `memfd ${id} (${object.inode?.name}): this restore keeps no shared memory table to make it in`);
      const inode = shmem.fdFor(object);
      const flags = Number(memfd.flags);
      const name = `memfd ${id} (${object.inode?.name ?? shmid})`;
      let fd: number;
      if ((flags & O_ACCMODE) === O_RDWR && !originalGiven.has(object.shmid)) {
        originalGiven.add(object.shmid);
        fd = sys(nr.fcntl, inode, F_DUPFD_CLOEXEC, 0);
        const set = fd < 0 ? 0 : sys(nr.fcntl, fd, F_SETFL, flags);
        if (set < 0) {
          sys(nr.close, fd);
          throw new RestoreFault('files', `cannot set the flags 0${flags.toString(8)} of ${name}: errno ${-set}`);
        }
      } else {
        fd = reopen(inode, flags);
      }
      if (fd < 0) throw new RestoreFault('files', `cannot open ${name} with flags 0${flags.toString(8)}: errno ${-fd}`);
      try {
        const pos = BigInt((memfd.pos as bigint | undefined) ?? 0n);
        const at = sys(nr.lseek, fd, pos, SEEK_SET);
        if (at < 0) throw new RestoreFault('files', `cannot seek ${name} to ${pos}: errno ${-at}`);
        restoreFown(fd, memfd.fown as MessageValue | undefined, name);
      } catch (error) {
        sys(nr.close, fd);
        throw error;
      }
      return fd;
    },
  };
}
