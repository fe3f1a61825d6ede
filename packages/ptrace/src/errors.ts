import { constants } from 'node:os';

/**
 * Every fallible operation reports which system call failed, on which task, and the errno, so a
 * caller can tell "the task vanished" (ESRCH) from "not allowed" (EPERM) from "it never stopped"
 * (ETIMEDOUT) without parsing text.
 */
export interface PtraceError {
  readonly syscall: string;
  readonly pid: number;
  readonly errno: number;
  /** The errno's symbolic name, "ESRCH". */
  readonly code: string;
  readonly message: string;
  /** When the task was killed by a signal during the operation (SIGSYS for a seccomp kill). */
  readonly signal?: number;
}

const errnoNames = new Map<number, string>(Object.entries(constants.errno).map(([name, n]) => [n, name]));

export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `E${errno}`;
}

export function ptraceError(syscall: string, pid: number, errno: number, detail?: string, signal?: number): PtraceError {
  const code = errnoName(errno);
  const message = `${syscall}(${pid}): ${code}${detail ? `: ${detail}` : ''}`;
  return signal === undefined ? { syscall, pid, errno, code, message } : { syscall, pid, errno, code, message, signal };
}

/** Thrown inside the package's plain code and turned into a Left at the public boundary. */
export class PtraceFailure extends Error {
  constructor(readonly error: PtraceError) {
    super(error.message);
  }
}

export function fail(syscall: string, pid: number, errno: number, detail?: string, signal?: number): never {
  throw new PtraceFailure(ptraceError(syscall, pid, errno, detail, signal));
}

export const ESRCH = constants.errno.ESRCH;
export const EPERM = constants.errno.EPERM;
export const EFAULT = constants.errno.EFAULT;
export const EINTR = constants.errno.EINTR;
export const EIO = constants.errno.EIO;
export const ETIMEDOUT = constants.errno.ETIMEDOUT;
export const EAGAIN = constants.errno.EAGAIN;
export const ECHILD = constants.errno.ECHILD;
export const EINVAL = constants.errno.EINVAL;
export const ENOENT = constants.errno.ENOENT;
export const EOPNOTSUPP = constants.errno.EOPNOTSUPP;
