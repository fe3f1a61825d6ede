/**
 * The seccomp state of a frozen tree in CRIU's form. A thread's core names its mode and the first
 * filter it installed (`seccomp_mode`, `seccomp_filter`); in seccomp.img each filter names the one
 * installed after it (CRIU calls that link `prev`), so a chain is written newest first. When all
 * the threads of a task carry the same chain, it is kept on the main thread only, each filter
 * marked SECCOMP_FILTER_FLAG_TSYNC, as CRIU writes it: installed with TSYNC the threads share one
 * filter tree again, and the program's own later TSYNC installs still work.
 */
import { readFileSync } from 'node:fs';
import type { MessageValue } from '@criu-ts/images';
import { getSeccompFilters, type SeccompFilter } from '@criu-ts/ptrace';
import { refuse } from '@criu-ts/subsystem';

const SECCOMP_MODE_DISABLED = 0;
const SECCOMP_MODE_STRICT = 1;
const SECCOMP_MODE_FILTER = 2;
const SECCOMP_FILTER_FLAG_TSYNC = 1;

/** What a thread's thread_core_entry says of seccomp; nothing for a thread without it. */
export interface ThreadSeccomp {
  seccomp_mode?: number;
  seccomp_filter?: number;
}

export class SeccompImage {
  private readonly filters: MessageValue[] = [];

  /** Reads the mode and filters of each thread of frozen task `pid`; returns their core fields by tid. */
  task(pid: number, tids: readonly number[]): Map<number, ThreadSeccomp> {
    const modes = tids.map((tid) => modeOf(pid, tid));
    const chains = tids.map((tid, i) => (modes[i] === SECCOMP_MODE_FILTER ? chainOf(pid, tid) : []));
    const shared = modes.every((m) => m === SECCOMP_MODE_FILTER) && chains.every((chain) => sameChain(chain, chains[0]));
    const out = new Map<number, ThreadSeccomp>();
    tids.forEach((tid, i) => {
      // the main thread's TSYNC install gives the others the chain
      if (shared && i > 0) return;
      if (modes[i] === SECCOMP_MODE_DISABLED) return;
      if (modes[i] === SECCOMP_MODE_STRICT) {
        out.set(tid, { seccomp_mode: SECCOMP_MODE_STRICT });
        return;
      }
      out.set(tid, { seccomp_mode: SECCOMP_MODE_FILTER, seccomp_filter: this.add(chains[i], shared ? SECCOMP_FILTER_FLAG_TSYNC : 0) });
    });
    return out;
  }

  /** The one seccomp_entry of seccomp.img. */
  entry(): MessageValue {
    return { seccomp_filters: this.filters };
  }

  /** Appends a chain (oldest first, as the kernel lists it) newest first; returns the oldest's index. */
  private add(chain: readonly SeccompFilter[], flags: number): number {
    for (let i = chain.length - 1; i >= 0; i--) {
      const entry: MessageValue = { filter: chain[i].filter, flags: Number(chain[i].flags) | flags };
      // the filter installed after this one, written just before it
      if (i < chain.length - 1) entry.prev = this.filters.length - 1;
      this.filters.push(entry);
    }
    return this.filters.length - 1;
  }
}

/** The thread's seccomp mode, from the Seccomp line of its status. */
function modeOf(pid: number, tid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
  } catch (error) {
    return refuse('seccomp', pid, `cannot read the status of thread ${tid}: ${(error as Error).message}`);
  }
  const mode = /^Seccomp:\s+(\d+)$/m.exec(status);
  return mode ? Number(mode[1]) : SECCOMP_MODE_DISABLED;
}

function chainOf(pid: number, tid: number): SeccompFilter[] {
  const filters = getSeccompFilters(tid);
  if (filters._tag === 'Left') return refuse('seccomp', pid, `cannot read the seccomp filters of thread ${tid}: ${filters.left.message}`);
  if (filters.right.length === 0) refuse('seccomp', pid, `thread ${tid} is in seccomp filter mode, but the kernel lists no filter`);
  return filters.right;
}

function sameChain(a: readonly SeccompFilter[], b: readonly SeccompFilter[]): boolean {
  return a.length === b.length && a.every((filter, i) => filter.flags === b[i].flags && Buffer.from(filter.filter).equals(Buffer.from(b[i].filter)));
}
