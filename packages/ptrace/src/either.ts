import * as E from 'fp-ts/lib/Either.js';
import { PtraceFailure, type PtraceError } from './errors.js';

/** Runs plain code that throws PtraceFailure and returns its outcome as an Either; other throws are bugs and propagate. */
export function attempt<A>(body: () => A): E.Either<PtraceError, A> {
  try {
    return E.right(body());
  } catch (e) {
    if (e instanceof PtraceFailure) return E.left(e.error);
    throw e;
  }
}

export async function attemptAsync<A>(body: () => Promise<A>): Promise<E.Either<PtraceError, A>> {
  try {
    return E.right(await body());
  } catch (e) {
    if (e instanceof PtraceFailure) return E.left(e.error);
    throw e;
  }
}
