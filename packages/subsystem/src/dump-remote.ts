/**
 * What a dump half needs to make a frozen task run system calls for it. The cli implements it over
 * @criu-ts/ptrace's remote syscalls; the calls run on the tracer thread, in a thread that is stopped.
 */
export interface DumpRemote {
  /** Syscall `name` in thread `tid`; its result, or a DumpFault on -errno. */
  call(tid: number, name: string, args: readonly (bigint | number)[]): bigint;
  /** Syscall `name` in thread `tid`; its raw signed result (-4095..-1 is -errno). */
  callRaw(tid: number, name: string, args: readonly (bigint | number)[]): bigint;
  /** A private read-write page range of `scratchSize` bytes inside process `pid` (its threads share it). */
  scratch(pid: number): bigint;
  readonly scratchSize: number;
  read(pid: number, addr: bigint, length: number): Uint8Array;
  write(pid: number, addr: bigint, bytes: Uint8Array): void;
}
