import type { MessageValue } from '@criu-ts/images';
import type { DumpRemote } from '@criu-ts/subsystem';
import { statusFields } from './proc.js';

const PR_GET_SECUREBITS = 27;

/** A thread's creds_entry: ids and capability sets from /proc/PID/task/TID/status, securebits by a remote prctl. */
export function dumpCreds(pid: number, tid: number, remote: DumpRemote): MessageValue {
  const st = statusFields(pid, 'creds', tid);
  const ids = (name: string) => (st.get(name) ?? '0 0 0 0').split(/\s+/).map(Number);
  const [uid, euid, suid, fsuid] = ids('Uid');
  const [gid, egid, sgid, fsgid] = ids('Gid');
  const caps = (name: string) => {
    const v = BigInt(`0x${st.get(name) ?? '0'}`);
    return [Number(v & 0xffff_ffffn), Number(v >> 32n)];
  };
  const groups = (st.get('Groups') ?? '').split(/\s+/).filter(Boolean).map(Number);
  const creds: MessageValue = {
    uid, gid, euid, egid, suid, sgid, fsuid, fsgid,
    cap_inh: caps('CapInh'),
    cap_prm: caps('CapPrm'),
    cap_eff: caps('CapEff'),
    cap_bnd: caps('CapBnd'),
    secbits: Number(remote.call(tid, 'prctl', [PR_GET_SECUREBITS, 0, 0, 0, 0])),
    cap_amb: caps('CapAmb'),
  };
  if (groups.length > 0) creds.groups = groups;
  const nnp = Number(st.get('NoNewPrivs') ?? '0');
  if (nnp) creds.no_new_privs = nnp;
  return creds;
}
