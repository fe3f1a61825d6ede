import { PTRACE } from './constants.js';
import { fail } from './errors.js';
import { NR, sys, type Word } from './libc.js';

const names = new Map<number, string>(Object.entries(PTRACE).map(([k, v]) => [v, `PTRACE_${k}`]));

/** One raw ptrace request; throws PtraceFailure naming the request, the tid and errno. */
export function ptrace(request: number, tid: number, addr: Word = 0, data: Word = 0): number {
  const r = sys(NR.ptrace, request, tid, addr, data);
  if (r < 0) fail(names.get(request) ?? `ptrace(${request})`, tid, -r);
  return r;
}

/** A raw ptrace request whose failure the caller inspects: the result or -errno. */
export function tryPtrace(request: number, tid: number, addr: Word = 0, data: Word = 0): number {
  return sys(NR.ptrace, request, tid, addr, data);
}
