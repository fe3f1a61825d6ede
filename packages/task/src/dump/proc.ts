import { readFileSync } from 'node:fs';
import { refuse } from '@criu-ts/subsystem';

/** /proc reads for the dump: a missing file means the task went away under us. */

export function readProc(path: string, pid: number, step: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    return refuse(step, pid, `cannot read ${path}: ${(e as Error).message}`);
  }
}

/** The fields of /proc/PID/stat after the comm, numbered as proc(5) numbers them (field 3 = state). */
export function statFields(pid: number, step: string, tid = pid): (n: number) => string {
  const stat = readProc(tid === pid ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, pid, step);
  const rest = stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
  return (n: number) => rest[n - 3] ?? '0';
}

/** /proc/PID/status as a name → value map. */
export function statusFields(pid: number, step: string, tid = pid): Map<string, string> {
  const text = readProc(tid === pid ? `/proc/${pid}/status` : `/proc/${pid}/task/${tid}/status`, pid, step);
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  return out;
}
