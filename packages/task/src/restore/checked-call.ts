import { errnoName } from '@criu-ts/ptrace';
import { type RemoteTask, RestoreFault } from '@criu-ts/subsystem';

/**
 * A remote syscall whose failure ends the restore with a sentence saying what it was for:
 * "task 42: cannot drop CAP_SYS_BOOT from the bounding set: prctl failed with EPERM".
 */
export function checkedCall(task: RemoteTask, step: string, pid: number, what: string, name: string, args: readonly (bigint | number)[]): bigint {
  const { ret } = task.try(name, args);
  if (ret < 0n && ret >= -4095n) {
    throw new RestoreFault(step, `task ${pid} (thread ${task.tid}): cannot ${what}: ${name} failed with ${errnoName(Number(-ret))}`, pid);
  }
  return ret;
}
