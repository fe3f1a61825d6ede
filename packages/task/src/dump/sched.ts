import type { MessageValue } from '@criu-ts/images';
import type { DumpRemote } from '@criu-ts/subsystem';

const SCHED_FIFO = 1;
const SCHED_RR = 2;
const SCHED_RESET_ON_FORK = 0x40000000;
const PR_GET_TIMERSLACK = 30;
/** Bytes of CPU mask asked for: 1024 CPUs, more than the kernel's nr_cpu_ids on any machine we run on. */
const CPU_MASK_BYTES = 128;

/**
 * One thread's scheduling as thread_core_entry fields: policy (with its reset-on-fork flag), real-time
 * priority, nice, and two that CRIU does not keep, the CPU affinity mask and the timer slack. Each is
 * the thread's own, so the thread itself is asked.
 */
export function dumpSched(pid: number, tid: number, remote: DumpRemote): MessageValue {
  const scratch = remote.scratch(pid);
  const policy = Number(remote.call(tid, 'sched_getscheduler', [0]));
  // getpriority(2) returns 20 - nice, so that no valid result looks like an error.
  const nice = 20 - Number(remote.call(tid, 'getpriority', [0 /* PRIO_PROCESS */, 0]));
  const sched: MessageValue = { sched_nice: nice, sched_policy: policy };
  const base = policy & ~SCHED_RESET_ON_FORK;
  if (base === SCHED_FIFO || base === SCHED_RR) {
    remote.call(tid, 'sched_getparam', [0, scratch]);
    const param = remote.read(pid, scratch, 4);
    sched.sched_prio = new DataView(param.buffer, param.byteOffset).getUint32(0, true);
  }
  // the result is the size of the kernel's mask in bytes, a multiple of 8
  const size = Number(remote.call(tid, 'sched_getaffinity', [0, CPU_MASK_BYTES, scratch]));
  const mask = remote.read(pid, scratch, size);
  const view = new DataView(mask.buffer, mask.byteOffset);
  sched.cpu_affinity = Array.from({ length: size / 8 }, (_, i) => view.getBigUint64(i * 8, true));
  sched.timer_slack_ns = remote.call(tid, 'prctl', [PR_GET_TIMERSLACK, 0, 0, 0, 0]);
  return sched;
}
