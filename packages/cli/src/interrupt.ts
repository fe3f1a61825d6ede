/**
 * Stopping a dump or a restore from outside its tracer thread (a signal to the CLI, an AbortSignal
 * of the library's caller). The job runs synchronously on its thread, so it cannot be told by a
 * message: it reads a shared flag at each of its steps and fails there, undoing what it did as any
 * failure does. The flag holds the number of the signal that asked (or -1 for an abort).
 */
export type Interrupt = Int32Array;

export function newInterrupt(): Interrupt {
  return new Int32Array(new SharedArrayBuffer(4));
}

/** Asks the job to stop; `signal` is the signal's number, or -1. */
export function interrupt(flag: Interrupt, signal = -1): void {
  Atomics.store(flag, 0, signal);
  Atomics.notify(flag, 0);
}

/**
 * Why the job must stop at `step`, or undefined. With CRIU_TS_PAUSE_AT naming the step, the job
 * first waits there up to 30 s for an interrupt: a test's way to interrupt it at a known point.
 */
export function interruptedAt(flag: Interrupt | undefined, step: string): string | undefined {
  if (flag === undefined) return undefined;
  if (process.env.CRIU_TS_PAUSE_AT === step) Atomics.wait(flag, 0, 0, 30_000);
  const value = Atomics.load(flag, 0);
  if (value === 0) return undefined;
  return value > 0 ? `interrupted by signal ${value} at step ${step}` : `interrupted at step ${step}`;
}
