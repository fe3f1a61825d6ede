import * as E from 'fp-ts/lib/Either.js';

/** Why a dump half could not do its part: the step, the task it was looking at, and a sentence. */
export interface DumpFaultInfo {
  readonly step: string;
  readonly pid?: number;
  readonly message: string;
}

/** Thrown inside the dump code and turned into a Left at each exported function. */
export class DumpFault extends Error {
  constructor(readonly info: DumpFaultInfo) {
    super(info.message);
    this.name = 'DumpFault';
  }
}

export function refuse(step: string, pid: number | undefined, message: string): never {
  throw new DumpFault({ step, pid, message });
}

/** Runs plain code that throws DumpFault and returns its outcome as an Either; other throws propagate. */
export function attempt<A>(body: () => A): E.Either<DumpFaultInfo, A> {
  try {
    return E.right(body());
  } catch (e) {
    if (e instanceof DumpFault) return E.left(e.info);
    throw e;
  }
}

/** The Right of a ptrace Either, or a DumpFault naming the step. */
export function must<A>(step: string, pid: number, r: E.Either<{ message: string }, A>): A {
  if (E.isLeft(r)) refuse(step, pid, r.left.message);
  return r.right;
}
