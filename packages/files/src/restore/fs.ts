import type { MessageValue } from '@criu-ts/images';
import type { RemoteTask, RestorePlan, TaskPlan } from '@criu-ts/subsystem';

/** Working directory, root and umask. */
export function restoreFs(task: RemoteTask, plan: TaskPlan, restore: RestorePlan): void {
  task.resetScratch();
  const path = (id: unknown) => String(((restore.files.get(Number(id))?.reg as MessageValue | undefined)?.name) ?? '');
  const root = path(plan.fs.root_id);
  if (root && root !== '/') task.call('chroot', [task.putString(root)]);
  const cwd = path(plan.fs.cwd_id);
  if (cwd) task.call('chdir', [task.putString(cwd)]);
  if (plan.fs.umask !== undefined) task.call('umask', [Number(plan.fs.umask)]);
}
