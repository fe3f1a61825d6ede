/**
 * A task being rebuilt, driven one remote syscall at a time. Every task of a restore inherits the
 * same helper area (mapped in the donor before the first clone): its first bytes hold a syscall
 * instruction the task executes, the rest is scratch memory for syscall arguments. The area survives
 * the teardown of the donor's mappings and is unmapped by the task's final syscall.
 */
import { type Arch, readMemoryRaw, remoteCall, remoteSyscallRaw, type RemoteEvent, writeMemoryRaw } from '@criu-ts/ptrace';

export const HELPER_SIZE = 64 * 1024;
/** Scratch space starts after the syscall instruction, on its own cache line. */
const SCRATCH_OFFSET = 64;

export class RemoteTask {
  private scratchUsed = 0;

  constructor(
    readonly tid: number,
    readonly arch: Arch,
    /** The helper area's address, once it exists in the task. */
    public helper?: bigint,
  ) {}

  private options() {
    return this.helper === undefined ? {} : { mode: 'vdso' as const, at: this.helper };
  }

  /** A syscall by name; a -errno result throws PtraceFailure naming the call, the task and errno. */
  call(name: string, args: readonly (bigint | number)[]): bigint {
    return remoteCall(this.tid, this.arch, name, args, this.options());
  }

  /** A syscall by name that may fail: the raw result (-errno on failure) and the ptrace events seen. */
  try(name: string, args: readonly (bigint | number)[]): { ret: bigint; events: readonly RemoteEvent[] } {
    return remoteSyscallRaw(this.tid, this.arch, this.arch.syscalls[name], args, this.options());
  }

  /** Copies bytes into the helper area for the next call(s) and returns their address there. */
  put(bytes: Uint8Array): bigint {
    if (this.helper === undefined) throw new Error('no helper area in the task yet');
    const offset = SCRATCH_OFFSET + this.scratchUsed;
    if (offset + bytes.length > HELPER_SIZE) throw new Error(`helper area full (${bytes.length} more bytes)`);
    this.scratchUsed += (bytes.length + 15) & ~15;
    const address = this.helper + BigInt(offset);
    writeMemoryRaw(this.tid, address, bytes);
    return address;
  }

  /** A NUL-terminated string in the helper area. */
  putString(text: string): bigint {
    return this.put(Buffer.from(text + '\0', 'utf8'));
  }

  /** Scratch for a call's output, zeroed. */
  reserve(size: number): bigint {
    return this.put(new Uint8Array(size));
  }

  read(address: bigint, length: number): Uint8Array {
    return readMemoryRaw(this.tid, address, length);
  }

  /** Forgets what the scratch area holds: call between unrelated groups of calls. */
  resetScratch(): void {
    this.scratchUsed = 0;
  }
}
