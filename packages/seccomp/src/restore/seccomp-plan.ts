/**
 * What each thread gets back of seccomp, read from the cores and seccomp.img and checked before
 * any process is made: a thread's chain is followed from the first filter it installed through the
 * `prev` links (each names the filter installed after it), and a chain that leaves the list,
 * loops, or holds a malformed program stops the restore.
 */
import { ImagesDir, type MessageValue } from '@criu-ts/images';
import { RestoreFault, type TaskPlan } from '@criu-ts/subsystem';

const SECCOMP_MODE_STRICT = 1;
const SECCOMP_MODE_FILTER = 2;
/** struct sock_filter is 8 bytes; a program has at most BPF_MAXINSNS of them. */
const INSN_SIZE = 8;
const MAX_INSNS = 4096;

/** One classic-BPF program and the flags it was installed with (SECCOMP_FILTER_FLAG_*). */
export interface FilterPlan {
  readonly program: Uint8Array;
  readonly flags: number;
}

export type ThreadSeccompPlan = { readonly mode: 'strict' } | { readonly mode: 'filter'; readonly chain: readonly FilterPlan[] };

/** By tid: threads without seccomp are not in it. */
export type SeccompPlan = ReadonlyMap<number, ThreadSeccompPlan>;

export function readSeccompPlan(imagesDir: string, tasks: readonly TaskPlan[]): SeccompPlan {
  const plan = new Map<number, ThreadSeccompPlan>();
  let filters: readonly MessageValue[] | undefined;
  const list = (pid: number) => (filters ??= readFilters(imagesDir, pid));
  for (const task of tasks) {
    if (task.zombie !== undefined) continue;
    for (const tid of task.threads) {
      const core = task.cores.get(tid)!;
      const { mode, first } = seccompOf(core, tid === task.pid);
      if (mode === SECCOMP_MODE_STRICT) plan.set(tid, { mode: 'strict' });
      else if (mode === SECCOMP_MODE_FILTER) {
        if (first === undefined) throw new RestoreFault('images', `core-${tid}.img: seccomp filter mode without a filter`, task.pid);
        plan.set(tid, { mode: 'filter', chain: chainOf(list(task.pid), first, tid, task.pid) });
      } else if (mode !== 0) throw new RestoreFault('images', `core-${tid}.img: unknown seccomp mode ${mode}`, task.pid);
    }
  }
  return plan;
}

/** The thread's mode and first filter; images older than CRIU 3.x kept them in the task's core. */
function seccompOf(core: MessageValue, main: boolean): { mode: number; first?: number } {
  const thread = (core.thread_core ?? {}) as MessageValue;
  if (thread.seccomp_mode !== undefined) return { mode: Number(thread.seccomp_mode), first: optionalNumber(thread.seccomp_filter) };
  const task = (core.tc ?? {}) as MessageValue;
  if (main && task.old_seccomp_mode !== undefined) return { mode: Number(task.old_seccomp_mode), first: optionalNumber(task.old_seccomp_filter) };
  return { mode: 0 };
}

function optionalNumber(value: unknown): number | undefined {
  return value === undefined ? undefined : Number(value);
}

function readFilters(imagesDir: string, pid: number): readonly MessageValue[] {
  const dir = ImagesDir.open(imagesDir);
  if (dir._tag === 'Left') throw new RestoreFault('images', dir.left.message, pid);
  if (!dir.right.has('seccomp.img')) throw new RestoreFault('images', 'a thread runs under seccomp filters, but seccomp.img is missing', pid);
  const image = dir.right.read('seccomp.img');
  if (image._tag === 'Left') throw new RestoreFault('images', image.left.message, pid);
  return (image.right.entries[0]?.message.seccomp_filters as MessageValue[] | undefined) ?? [];
}

/** The chain that starts at filter `first`, oldest first (the order to install it in). */
function chainOf(filters: readonly MessageValue[], first: number, tid: number, pid: number): FilterPlan[] {
  const chain: FilterPlan[] = [];
  for (let index: number | undefined = first; index !== undefined; ) {
    const filter: MessageValue | undefined = filters[index];
    if (!filter) throw new RestoreFault('images', `seccomp.img: thread ${tid} names filter ${index}, past the ${filters.length} it holds`, pid);
    if (chain.length === filters.length) throw new RestoreFault('images', `seccomp.img: the filter chain of thread ${tid} loops`, pid);
    const program = filter.filter as Uint8Array;
    if (program.length === 0 || program.length % INSN_SIZE !== 0 || program.length > MAX_INSNS * INSN_SIZE) {
      throw new RestoreFault('images', `seccomp.img: filter ${index} is ${program.length} bytes, not a seccomp program`, pid);
    }
    chain.push({ program, flags: Number(filter.flags ?? 0) });
    index = filter.prev === undefined ? undefined : Number(filter.prev);
  }
  return chain;
}
