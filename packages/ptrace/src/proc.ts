import { readdirSync, readFileSync } from 'node:fs';

/** What /proc says about tasks: the only view of a tree that does not need the tasks' cooperation. */

/** The state letter of /proc/PID/stat ('R', 'S', 'D', 'T', 't', 'Z', 'X'), or undefined if the task is gone. */
export function taskState(tid: number): string | undefined {
  const stat = readOrUndefined(`/proc/${tid}/stat`);
  if (stat === undefined) return undefined;
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** The fields of /proc/PID/stat after the comm, indexed from 0 = state. */
export function statFields(tid: number): string[] | undefined {
  const stat = readOrUndefined(`/proc/${tid}/stat`);
  if (stat === undefined) return undefined;
  return stat.slice(stat.lastIndexOf(')') + 2).trim().split(' ');
}

/** The thread ids of a process, or undefined if it is gone. */
export function listThreads(pid: number): number[] | undefined {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => a - b);
  } catch {
    return undefined;
  }
}

/** The children of one thread (children belong to the thread that forked them). */
export function listChildren(pid: number, tid: number): number[] {
  const text = readOrUndefined(`/proc/${pid}/task/${tid}/children`);
  return text ? text.trim().split(/\s+/).filter(Boolean).map(Number) : [];
}

/** The tgid of a thread. */
export function threadGroupOf(tid: number): number | undefined {
  const status = readOrUndefined(`/proc/${tid}/status`);
  const m = status && /^Tgid:\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : undefined;
}

export function tracerOf(tid: number): number | undefined {
  const status = readOrUndefined(`/proc/${tid}/status`);
  const m = status && /^TracerPid:\s+(\d+)/m.exec(status);
  return m ? Number(m[1]) : undefined;
}

/** One line of /proc/PID/maps. */
export interface MapsEntry {
  start: bigint;
  end: bigint;
  perms: string;
  offset: bigint;
  dev: string;
  inode: number;
  path: string;
}

export function readMaps(pid: number): MapsEntry[] | undefined {
  const text = readOrUndefined(`/proc/${pid}/maps`);
  if (text === undefined) return undefined;
  const out: MapsEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) (\S+) (\d+)\s*(.*)$/.exec(line);
    if (!m) continue;
    out.push({ start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), perms: m[3], offset: BigInt(`0x${m[4]}`), dev: m[5], inode: Number(m[6]), path: m[7] });
  }
  return out;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
