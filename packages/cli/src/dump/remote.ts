import { getRegsetRaw, readMaps, readMemory, remoteSyscall, writeMemory, type Arch } from '@criu-ts/ptrace';
import { DumpFault, type DumpRemote } from '@criu-ts/subsystem';
import * as E from 'fp-ts/lib/Either.js';

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 0x01;
const MAP_ANONYMOUS = 0x20;

/** The x86-64 red zone: the 128 bytes below the stack pointer that leaf code may use without moving it. */
const RED_ZONE = 128n;

/**
 * Remote syscalls for the dump halves, over @criu-ts/ptrace, with a scratch area per process for
 * pointer arguments. The scratch is the 512 bytes just below the main thread's red zone: the kernel
 * writes a signal frame there (over a KiB) whenever it delivers a signal, so the program keeps nothing
 * in it, nothing is mapped, and nothing is left behind if we die mid-dump (a mapping would be: the
 * kernel detaches a dead tracer's tracees and they run on with whatever we left in them). Only when
 * that memory is not mapped (a stack pointer at the very bottom of its stack) is a scratch mapped: MAP_SHARED
 * anonymous memory, which never merges with a neighbouring VMA, so it can be told apart exactly in
 * /proc/PID/maps and left out of the dump.
 */
export class TreeRemote implements DumpRemote {
  readonly scratchSize = 512;
  private readonly scratches = new Map<number, bigint>();
  private readonly mapped = new Set<number>();

  constructor(private readonly arch: Arch, private readonly log: (msg: string) => void = () => {}) {}

  callRaw(tid: number, name: string, args: readonly (bigint | number)[]): bigint {
    const nr = this.arch.syscalls[name];
    if (nr === undefined) throw new DumpFault({ step: 'remote', pid: tid, message: `no syscall ${name} on ${this.arch.name}` });
    const r = remoteSyscall(tid, this.arch, nr, args);
    if (E.isLeft(r)) throw new DumpFault({ step: 'remote', pid: tid, message: `remote ${name} in ${tid}: ${r.left.message}` });
    return r.right.ret;
  }

  call(tid: number, name: string, args: readonly (bigint | number)[]): bigint {
    const ret = this.callRaw(tid, name, args);
    if (ret < 0n && ret >= -4095n) throw new DumpFault({ step: 'remote', pid: tid, message: `remote ${name} in ${tid} failed: errno ${-ret}` });
    return ret;
  }

  scratch(pid: number): bigint {
    let addr = this.scratches.get(pid);
    if (addr === undefined) {
      addr = this.belowRedZone(pid);
      if (addr === undefined) {
        addr = this.call(pid, 'mmap', [0, this.scratchSize, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0]);
        this.mapped.add(pid);
      }
      this.scratches.set(pid, addr);
      this.log(`scratch for ${pid} at 0x${addr.toString(16)}${this.mapped.has(pid) ? ' (mapped)' : ' (below the stack pointer)'}`);
    }
    return addr;
  }

  /** The scratch below the main thread's red zone, if that memory is mapped writable. */
  private belowRedZone(pid: number): bigint | undefined {
    if (this.arch.name !== 'x86_64') return undefined;
    const sp = this.arch.stackPointer(getRegsetRaw(pid, this.arch.gpregs.note, this.arch.gpregs.size));
    const start = (sp - RED_ZONE - BigInt(this.scratchSize)) & ~63n;
    const area = (readMaps(pid) ?? []).find((m) => m.start <= start && sp <= m.end);
    return area && area.perms.startsWith('rw') ? start : undefined;
  }

  /** The scratch ranges mapped so far, by pid. */
  scratchRange(pid: number): { start: bigint; end: bigint } | undefined {
    const addr = this.scratches.get(pid);
    return addr === undefined || !this.mapped.has(pid) ? undefined : { start: addr, end: addr + BigInt(this.scratchSize) };
  }

  /** Unmaps the scratch of `pid` (best effort: a task that died has none to unmap). */
  release(pid: number): void {
    const addr = this.scratches.get(pid);
    if (addr === undefined) return;
    this.scratches.delete(pid);
    if (!this.mapped.delete(pid)) return;
    try {
      this.callRaw(pid, 'munmap', [addr, this.scratchSize]);
    } catch (e) {
      this.log(`could not unmap the scratch of ${pid}: ${(e as Error).message}`);
    }
  }

  releaseAll(): void {
    for (const pid of [...this.scratches.keys()]) this.release(pid);
  }

  read(pid: number, addr: bigint, length: number): Uint8Array {
    const r = readMemory(pid, addr, length);
    if (E.isLeft(r)) throw new DumpFault({ step: 'remote', pid, message: r.left.message });
    return r.right.slice();
  }

  write(pid: number, addr: bigint, bytes: Uint8Array): void {
    const r = writeMemory(pid, addr, bytes);
    if (E.isLeft(r)) throw new DumpFault({ step: 'remote', pid, message: r.left.message });
  }
}
