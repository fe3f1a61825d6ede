import { readdirSync } from 'node:fs';
import type { RemoteTask, TaskPlan } from '@criu-ts/subsystem';
import { installFds } from './install-fds.js';
import type { RestoredFiles } from './restored-files.js';

const FD_CLOEXEC = 1;

/** Closes whatever fds the task inherited from the donor. */
export function closeInheritedFds(task: RemoteTask): void {
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${task.tid}/fd`);
  } catch {
    return;
  }
  for (const fd of fds) task.call('close', [Number(fd)]);
}

/**
 * Every fd of a task whose fd table is empty: the open file descriptions are made (or found) here
 * and passed in at their numbers, then each kind does what needs the task's fd numbers.
 */
export function restoreFds(task: RemoteTask, plan: TaskPlan, files: RestoredFiles): void {
  const wanted = plan.fds.map((fdinfo) => ({
    id: Number(fdinfo.id),
    local: files.local(Number(fdinfo.id), plan.pid),
    target: Number(fdinfo.fd),
    cloexec: (Number(fdinfo.flags ?? 0) & FD_CLOEXEC) !== 0,
  }));
  installFds(task, wanted);
  for (const { id } of wanted) files.given(id);
  const settled = new Set<number>();
  for (const { id, target } of wanted) {
    if (settled.has(id)) continue;
    settled.add(id);
    files.settle(task, target, id);
  }
}
