import { readlinkSync } from 'node:fs';
import type { MessageValue } from '@criu-ts/images';
import { hostArch, sys } from '@criu-ts/ptrace';
import { refuse } from '@criu-ts/subsystem';

/** Namespace kinds in the order CRIU numbers them in ids and inventory images. */
const NAMESPACES = [
  ['pid', 'pid_ns_id'],
  ['net', 'net_ns_id'],
  ['ipc', 'ipc_ns_id'],
  ['uts', 'uts_ns_id'],
  ['time', 'time_ns_id'],
  ['mnt', 'mnt_ns_id'],
  ['user', 'user_ns_id'],
  ['cgroup', 'cgroup_ns_id'],
] as const;

/** Namespace ids as CRIU hands them out for a tree that lives in its own (the dumper's) namespaces. */
export function namespaceIds(): MessageValue {
  return Object.fromEntries(NAMESPACES.map(([, field], i) => [field, i + 1]));
}

/**
 * Refuses a task that lives in a namespace other than the dumper's: namespaces are not dumped yet,
 * so such a task could not be put back where it was.
 */
export function checkSameNamespaces(pid: number): void {
  for (const [ns] of NAMESPACES) {
    let mine: string;
    let theirs: string;
    try {
      mine = readlinkSync(`/proc/self/ns/${ns}`);
      theirs = readlinkSync(`/proc/${pid}/ns/${ns}`);
    } catch {
      continue; // a kernel without this namespace kind
    }
    if (mine !== theirs) refuse('namespaces', pid, `task ${pid} is in another ${ns} namespace (${theirs}, the dumper is in ${mine}); dumping namespaces is not supported yet`);
  }
}

/** kcmp's kinds of per-process objects that clone without CLONE_THREAD may still share. */
const SHAREABLE = [
  ['memory (CLONE_VM)', 1],
  ['fd table (CLONE_FILES)', 2],
  ['working directory, root and umask (CLONE_FS)', 3],
  ['signal handlers (CLONE_SIGHAND)', 4],
] as const;

/**
 * Refuses processes of the tree that share their memory, fd table, fs state or signal handlers with
 * another: each process is restored with its own, which would part them without a word. kcmp orders
 * the kernel objects, so sorting the processes by each kind puts sharers side by side.
 */
export function checkNothingShared(pids: readonly number[]): void {
  const nr = hostArch().syscalls;
  for (const [what, type] of SHAREABLE) {
    const order = (a: number, b: number): number => {
      const r = sys(nr.kcmp, a, b, type, 0, 0);
      if (r < 0) refuse('task-check', a, `kcmp of the ${what} of tasks ${a} and ${b} failed: errno ${-r}`);
      return r === 0 ? 0 : r === 1 ? -1 : 1;
    };
    const sorted = [...pids].sort(order);
    for (let i = 1; i < sorted.length; i++) {
      if (order(sorted[i - 1], sorted[i]) !== 0) continue;
      const [a, b] = [sorted[i - 1], sorted[i]].sort((x, y) => x - y);
      refuse('task-check', a, `tasks ${a} and ${b} share one ${what}: sharing it between processes is not supported yet`);
    }
  }
}

/**
 * ids-PID.img: the ids of the kernel objects a task may share with others. Each task gets its own
 * (checkNothingShared refuses processes that share them); id 1 is the dumper's own, as in CRIU's
 * inventory.
 */
export function taskIds(objectId: number): MessageValue {
  return { vm_id: objectId, files_id: objectId, fs_id: objectId, sighand_id: objectId, ...namespaceIds() };
}

/**
 * inventory.img: image version 2, per-id fdinfo and namespace images, no LSM, the dump's run id and
 * its network lock method (CRIU's numbers: 0 iptables, 1 nftables, 2 skip).
 */
export function inventoryEntry(runId: string, networkLockMethod: number): MessageValue {
  return {
    img_version: 2,
    fdinfo_per_id: true,
    root_ids: taskIds(1),
    ns_per_id: true,
    lsmtype: 0,
    network_lock_method: networkLockMethod,
    plugins_entry: {},
    dump_criu_run_id: runId,
  };
}
