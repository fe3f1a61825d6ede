import type { MessageValue } from '@criu-ts/images';
import type { FrozenTree } from '@criu-ts/ptrace';
import { statFields } from './proc.js';

/** pstree.img: one entry per task, parents first, with its process group, session and threads (leader first). */
export function pstreeEntries(tree: FrozenTree): MessageValue[] {
  return tree.tasks.map((task) => {
    const stat = statFields(task.pid, 'pstree');
    const tids = task.threads.map((t) => t.tid).filter((t) => t !== task.pid);
    return {
      pid: task.pid,
      ppid: task.ppid,
      pgid: Number(stat(5)),
      sid: Number(stat(6)),
      threads: [task.pid, ...tids.sort((a, b) => a - b)],
    };
  });
}
