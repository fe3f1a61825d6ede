import { type RemoteTask, RestoreFault } from '@criu-ts/subsystem';

const F_SETFL = 4;

/**
 * O_ASYNC, set by the task itself on its own fd `fd`: the kernel records the fd number it was set
 * through, and gives it as si_fd with each SIGIO. `done` (by file id) keeps an open file held by
 * several fds or tasks to one, the first (the number the dump cannot tell).
 */
export function setAsync(task: RemoteTask, fd: number, flags: number, what: string, done: Set<number>, id: number): void {
  if (done.has(id)) return;
  done.add(id);
  const { ret } = task.try('fcntl', [fd, F_SETFL, flags]);
  if (ret < 0n) throw new RestoreFault('files', `task ${task.tid} cannot set O_ASYNC on fd ${fd} (${what}): errno ${-ret}`, task.tid);
}
