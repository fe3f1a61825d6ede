import type { RemoteTask, TaskPlan } from '@criu-ts/subsystem';
import type { RestoredFiles } from './restored-files.js';

/** Working directory, root and umask; a directory removed at dump time is entered as its ghost. */
export function restoreFs(task: RemoteTask, plan: TaskPlan, files: RestoredFiles): void {
  task.resetScratch();
  const root = files.pathOf(Number(plan.fs.root_id));
  if (root && root !== '/') task.call('chroot', [task.putString(root)]);
  const cwd = files.pathOf(Number(plan.fs.cwd_id));
  if (cwd) task.call('chdir', [task.putString(cwd)]);
  if (plan.fs.umask !== undefined) task.call('umask', [Number(plan.fs.umask)]);
}
