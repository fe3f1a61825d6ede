/**
 * A thread's scheduling: policy and real-time priority, nice, CPU affinity and timer slack. Run
 * before the credentials: a real-time policy or a nice below the current one needs CAP_SYS_NICE.
 */
import type { MessageValue } from '@criu-ts/images';
import type { RemoteTask } from '@criu-ts/subsystem';
import { checkedCall } from './checked-call.js';

const PRIO_PROCESS = 0;
const PR_SET_TIMERSLACK = 29;
const STEP = 'sched';

export function restoreSched(thread: RemoteTask, core: MessageValue, pid: number): void {
  const tc = (core.thread_core ?? {}) as MessageValue;
  thread.resetScratch();
  if (tc.sched_policy !== undefined) {
    const policy = Number(tc.sched_policy);
    const param = new Uint8Array(4);
    new DataView(param.buffer).setInt32(0, Number(tc.sched_prio ?? 0), true);
    // pid 0 is the calling thread; the policy keeps its SCHED_RESET_ON_FORK bit
    checkedCall(thread, STEP, pid, `set scheduling policy ${policy} (priority ${tc.sched_prio ?? 0})`, 'sched_setscheduler', [0, policy, thread.put(param)]);
  }
  if (tc.sched_nice !== undefined) {
    checkedCall(thread, STEP, pid, `set nice ${tc.sched_nice}`, 'setpriority', [PRIO_PROCESS, 0, Number(tc.sched_nice)]);
  }
  const affinity = (tc.cpu_affinity ?? []) as bigint[];
  if (affinity.length > 0) {
    const mask = new Uint8Array(affinity.length * 8);
    const view = new DataView(mask.buffer);
    affinity.forEach((word, i) => view.setBigUint64(i * 8, BigInt(word), true));
    checkedCall(thread, STEP, pid, `set CPU affinity ${cpuList(affinity)} (EINVAL: none of those CPUs is online or allowed here)`, 'sched_setaffinity', [0, mask.length, thread.put(mask)]);
  }
  // After the policy: a real-time thread's slack is 0 and cannot be set; 0 would mean "the default".
  const slack = BigInt((tc.timer_slack_ns as bigint | undefined) ?? 0n);
  if (slack > 0n) checkedCall(thread, STEP, pid, `set timer slack ${slack} ns`, 'prctl', [PR_SET_TIMERSLACK, slack, 0, 0, 0]);
}

/** "0,2-3" for a mask with CPUs 0, 2 and 3. */
function cpuList(words: readonly bigint[]): string {
  const cpus: number[] = [];
  words.forEach((word, i) => {
    for (let bit = 0; bit < 64; bit++) if ((BigInt(word) >> BigInt(bit)) & 1n) cpus.push(i * 64 + bit);
  });
  const ranges: string[] = [];
  for (let i = 0; i < cpus.length; i++) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j] + 1) j++;
    ranges.push(i === j ? String(cpus[i]) : `${cpus[i]}-${cpus[j]}`);
    i = j;
  }
  return ranges.join(',') || 'none';
}
