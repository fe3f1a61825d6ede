/**
 * A thread's credentials: user and group ids, supplementary groups, the five capability sets,
 * securebits and no_new_privs; and the process's dumpable flag, which the kernel resets whenever
 * credentials change. The restored thread starts with the donor's full root credentials, and every
 * step but the last needs a privilege a later step may take away, hence the order:
 *
 *  1. supplementary groups (CAP_SETGID);
 *  2. securebits NO_SETUID_FIXUP, so that leaving uid 0 does not clear the capability sets (CAP_SETPCAP);
 *  3. gids, uids (real, effective, saved), then the filesystem ids (CAP_SETGID, CAP_SETUID);
 *  4. capabilities, CAP_SETPCAP kept for now; inheritable ones are set while the bounding set is
 *     still full, since a capability may stay inheritable after it left the bounding set;
 *  5. the bounding set shrinks (CAP_SETPCAP);
 *  6. the ambient set (each one must be permitted and inheritable, and the dumped securebits may
 *     forbid raising it);
 *  7. the dumped securebits (CAP_SETPCAP);
 *  8. capabilities again, without CAP_SETPCAP if the thread had not it;
 *  9. no_new_privs, which cannot be undone.
 *
 * After this the thread may have no privilege left: it is the last step before a thread's
 * unprivileged state (parent-death signal, which a credential change clears), its queued signals and
 * its registers.
 */
import { readFileSync } from 'node:fs';
import type { MessageValue } from '@criu-ts/images';
import { type RemoteTask, RestoreFault } from '@criu-ts/subsystem';
import { checkedCall } from './checked-call.js';

const PR_SET_DUMPABLE = 4;
const PR_GET_DUMPABLE = 3;
const PR_GET_SECUREBITS = 27;
const PR_CAPBSET_DROP = 24;
const PR_SET_SECUREBITS = 28;
const PR_SET_NO_NEW_PRIVS = 38;
const PR_CAP_AMBIENT = 47;
const PR_CAP_AMBIENT_RAISE = 2;
const PR_CAP_AMBIENT_CLEAR_ALL = 4;
const SECBIT_NO_SETUID_FIXUP = 1 << 2;
const CAP_SETPCAP = 8;
const LINUX_CAPABILITY_VERSION_3 = 0x20080522;
const STEP = 'creds';

type CapSet = readonly [number, number];

export function restoreCreds(thread: RemoteTask, core: MessageValue, pid: number): void {
  const creds = (core.thread_core as MessageValue | undefined)?.creds as MessageValue | undefined;
  if (!creds) return;
  const call = (what: string, name: string, args: readonly (bigint | number)[]) => checkedCall(thread, STEP, pid, what, name, args);
  const id = (name: string) => Number(creds[name]);
  const eff = capSet(creds.cap_eff);
  const prm = capSet(creds.cap_prm);
  const inh = capSet(creds.cap_inh);
  const bnd = capSet(creds.cap_bnd);
  const amb = capSet(creds.cap_amb);

  thread.resetScratch();
  // most threads had the credentials they are cloned with (those of criu-ts): nothing to change then
  if (credsDiff(pid, thread.tid, creds) === undefined) {
    if (Number(call('read securebits', 'prctl', [PR_GET_SECUREBITS, 0, 0, 0, 0])) === id('secbits')) return;
  }

  const groups = ((creds.groups ?? []) as number[]).map(Number);
  const list = new Uint8Array(Math.max(groups.length, 1) * 4);
  groups.forEach((g, i) => new DataView(list.buffer).setUint32(i * 4, g, true));
  call(`set the supplementary groups [${groups.join(' ')}]`, 'setgroups', [groups.length, thread.put(list)]);

  call('keep its capabilities across the uid change (securebits NO_SETUID_FIXUP)', 'prctl', [PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP, 0, 0, 0]);
  call(`set gids ${id('gid')}/${id('egid')}/${id('sgid')}`, 'setresgid', [id('gid'), id('egid'), id('sgid')]);
  call(`set uids ${id('uid')}/${id('euid')}/${id('suid')}`, 'setresuid', [id('uid'), id('euid'), id('suid')]);
  // setfsuid and setfsgid return the previous id and never fail: the check below catches a refusal
  call(`set fsgid ${id('fsgid')}`, 'setfsgid', [id('fsgid')]);
  call(`set fsuid ${id('fsuid')}`, 'setfsuid', [id('fsuid')]);

  const withSetpcap = (set: CapSet): CapSet => [set[0] | (1 << CAP_SETPCAP), set[1]];
  capset(thread, pid, withSetpcap(eff), withSetpcap(prm), inh, 'set the capabilities (CAP_SETPCAP kept for now)');
  for (let cap = 0; cap <= capLastCap(); cap++) {
    if (!has(bnd, cap)) call(`drop capability ${cap} from the bounding set`, 'prctl', [PR_CAPBSET_DROP, cap, 0, 0, 0]);
  }
  call('clear the ambient capabilities', 'prctl', [PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0]);
  for (let cap = 0; cap < 64; cap++) {
    if (has(amb, cap)) call(`raise ambient capability ${cap}`, 'prctl', [PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0]);
  }
  call(`set securebits 0x${id('secbits').toString(16)}`, 'prctl', [PR_SET_SECUREBITS, id('secbits'), 0, 0, 0]);
  if (!has(prm, CAP_SETPCAP) || !has(eff, CAP_SETPCAP)) capset(thread, pid, eff, prm, inh, 'set the capabilities');
  if (Number(creds.no_new_privs ?? 0)) call('set no_new_privs', 'prctl', [PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0]);

  const diff = credsDiff(pid, thread.tid, creds);
  if (diff !== undefined) throw new RestoreFault(STEP, `task ${pid} (thread ${thread.tid}): after restoring its credentials, ${diff}`, pid);
}

/**
 * PR_SET_DUMPABLE with the image's value, once every thread has its credentials (changing them
 * resets it to fs.suid_dumpable). Only 0 and 1 can be set; 2 (root-only core dumps) comes from that
 * sysctl alone, so it must be what the kernel already chose.
 */
export function restoreDumpable(task: RemoteTask, mm: MessageValue, pid: number): void {
  if (mm.dumpable === undefined) return;
  const wanted = Number(mm.dumpable);
  task.resetScratch();
  if (wanted === 0 || wanted === 1) {
    checkedCall(task, STEP, pid, `set dumpable ${wanted}`, 'prctl', [PR_SET_DUMPABLE, wanted, 0, 0, 0]);
    return;
  }
  const now = Number(checkedCall(task, STEP, pid, 'read dumpable', 'prctl', [PR_GET_DUMPABLE, 0, 0, 0, 0]));
  if (now !== wanted) throw new RestoreFault(STEP, `task ${pid} was dumpable=${wanted}, which only fs.suid_dumpable=${wanted} gives; here it is ${now}`, pid);
}

/** capset(2) on the calling thread: a version 3 header and two {effective, permitted, inheritable} words. */
function capset(thread: RemoteTask, pid: number, eff: CapSet, prm: CapSet, inh: CapSet, what: string): void {
  thread.resetScratch();
  const header = new Uint8Array(8);
  new DataView(header.buffer).setUint32(0, LINUX_CAPABILITY_VERSION_3, true);
  const data = new Uint8Array(24);
  const view = new DataView(data.buffer);
  for (let word = 0; word < 2; word++) {
    view.setUint32(word * 12, eff[word] >>> 0, true);
    view.setUint32(word * 12 + 4, prm[word] >>> 0, true);
    view.setUint32(word * 12 + 8, inh[word] >>> 0, true);
  }
  checkedCall(thread, STEP, pid, what, 'capset', [thread.put(header), thread.put(data)]);
}

function capSet(words: unknown): CapSet {
  const list = ((words ?? []) as number[]).map(Number);
  return [list[0] ?? 0, list[1] ?? 0];
}

function has(set: CapSet, cap: number): boolean {
  return ((set[cap >> 5] >>> (cap & 31)) & 1) === 1;
}

let lastCap: number | undefined;

function capLastCap(): number {
  lastCap ??= Number(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim());
  return lastCap;
}

/**
 * The first difference between the thread's credentials as the kernel reports them and the image's,
 * if any: after the restore, a step the kernel accepted without doing it (setfsuid) is named here.
 */
function credsDiff(pid: number, tid: number, creds: MessageValue): string | undefined {
  const status = new Map<string, string>();
  for (const line of readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) status.set(line.slice(0, i), line.slice(i + 1).trim());
  }
  // capabilities this kernel does not know are dropped by it, silently
  const valid = (1n << BigInt(capLastCap() + 1)) - 1n;
  const hex = (set: CapSet) => (((BigInt(set[1] >>> 0) << 32n) | BigInt(set[0] >>> 0)) & valid).toString(16).padStart(16, '0');
  const expected: [string, string][] = [
    ['Uid', [creds.uid, creds.euid, creds.suid, creds.fsuid].map(Number).join('\t')],
    ['Gid', [creds.gid, creds.egid, creds.sgid, creds.fsgid].map(Number).join('\t')],
    ['Groups', ((creds.groups ?? []) as number[]).map(Number).join(' ')],
    ['CapInh', hex(capSet(creds.cap_inh))],
    ['CapPrm', hex(capSet(creds.cap_prm))],
    ['CapEff', hex(capSet(creds.cap_eff))],
    ['CapBnd', hex(capSet(creds.cap_bnd))],
    ['CapAmb', hex(capSet(creds.cap_amb))],
    // set by the donor already (it cannot be cleared), or left unset by a failed step
    ['NoNewPrivs', String(Number(creds.no_new_privs ?? 0))],
  ];
  for (const [field, want] of expected) {
    const got = (status.get(field) ?? '').replace(/\s+/g, field === 'Groups' ? ' ' : '\t');
    if (got !== want) return `${field} is "${got}", the images say "${want}"`;
  }
  return undefined;
}
