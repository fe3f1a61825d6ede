import * as E from 'fp-ts/lib/Either.js';
import { hostArch } from './arch.js';
import { attempt } from './either.js';
import { ptraceError } from './errors.js';
import { syscallTable } from './scratch.js';
import { installFd, stealFd, type InstallFdOptions } from './fds.js';
import { finalSyscall, type FinalState } from './final-syscall.js';
import { freezeTree, releaseStragglers, thawTree, type FreezeOptions, type FrozenTree } from './freeze.js';
import { readMemory, writeMemory } from './memory.js';
import {
  getGpregs, getRseqConfiguration, getSeccompFilters, getSigmask, getSyscallInfo, getThreadRegs, setGpregs, setSigmask, setThreadRegs,
  type ThreadRegs,
} from './regs.js';
import { remoteSyscall, type RemoteSyscallOptions } from './remote-syscall.js';
import { readThreadState } from './thread-state.js';
import { detachTask, getClearTidAddress, killTraced, setOptions } from './task-control.js';

/**
 * The operations a Tracer runs on its worker thread, the thread that owns every ptrace stop. Each
 * takes and returns structured-cloneable values (the worker supplies the Arch), and returns Either.
 */
export function tracerOps() {
  const arch = hostArch();
  const frozen = new Set<FrozenTree>();
  return {
    freezeTree: (root: number, opts?: FreezeOptions) => {
      const r = freezeTree(root, opts);
      if (E.isRight(r)) frozen.add(r.right);
      return r;
    },
    thawTree: (tree: FrozenTree) => {
      for (const t of frozen) if (t.root === tree.root) frozen.delete(t);
      return thawTree(tree);
    },
    /** Thaws every tree this tracer still holds (before the worker goes away). */
    thawAll: () => {
      let detached = 0;
      for (const t of frozen) {
        const r = thawTree(t);
        if (E.isRight(r)) detached += r.right.detached;
      }
      frozen.clear();
      return E.right(detached);
    },
    releaseStragglers: () => E.right(releaseStragglers()),
    readThreadState: (tid: number, opts?: { clearTid?: boolean }) => readThreadState(tid, arch, opts),
    getThreadRegs: (tid: number) => getThreadRegs(tid, arch),
    setThreadRegs: (tid: number, regs: ThreadRegs) => setThreadRegs(tid, arch, regs),
    getGpregs: (tid: number) => getGpregs(tid, arch),
    setGpregs: (tid: number, raw: Uint8Array) => setGpregs(tid, arch, raw),
    getSigmask: (tid: number) => getSigmask(tid),
    setSigmask: (tid: number, mask: bigint) => setSigmask(tid, mask),
    getRseqConfiguration: (tid: number) => getRseqConfiguration(tid),
    getSyscallInfo: (tid: number) => getSyscallInfo(tid),
    getSeccompFilters: (tid: number) => getSeccompFilters(tid),
    remoteSyscall: (tid: number, nr: number | string, args: readonly (bigint | number)[], opts?: RemoteSyscallOptions) => {
      if (typeof nr === 'number') return remoteSyscall(tid, arch, nr, args, opts);
      // By name, in the thread's own ABI (an ia32 task has its own numbers).
      const table = attempt(() => syscallTable(tid, arch));
      if (E.isLeft(table)) return table;
      const n = table.right[nr];
      return n === undefined ? E.left(ptraceError(`remote ${nr}`, tid, 38, `no syscall ${nr} here`)) : remoteSyscall(tid, arch, n, args, opts);
    },
    finalSyscall: (tid: number, nr: number, args: readonly (bigint | number)[], state: FinalState) => finalSyscall(tid, arch, nr, args, state),
    setOptions: (tid: number, options: number) => setOptions(tid, options),
    detachTask: (tid: number) => detachTask(tid),
    killTraced: (tid: number) => killTraced(tid),
    getClearTidAddress: (tid: number) => getClearTidAddress(tid, arch),
    stealFd: (pid: number, fd: number) => stealFd(pid, fd),
    installFd: (tid: number, fd: number, opts?: InstallFdOptions) => installFd(tid, arch, fd, opts),
    readMemory: (pid: number, addr: bigint, length: number) => readMemory(pid, addr, length),
    writeMemory: (pid: number, addr: bigint, bytes: Uint8Array) => writeMemory(pid, addr, bytes),
  };
}

export type TracerOps = ReturnType<typeof tracerOps>;
