/** `criu-ts check`: the kernel features dump and restore rely on, each tried for real. */
import { type Either, left, right } from 'fp-ts/lib/Either.js';
import { existsSync, readFileSync } from 'node:fs';
import { hostArch, sys } from '@criu-ts/ptrace';
import { probeClone3SetTid, probePagemapScan } from './check-feature.js';

export interface CheckReport {
  readonly features: readonly { name: string; ok: boolean; detail?: string }[];
}

export function checkKernel(): Either<string, CheckReport> {
  const nr = hostArch().syscalls;
  const features: { name: string; ok: boolean; detail?: string }[] = [];
  const add = (name: string, ok: boolean, detail?: string) => features.push({ name, ok, detail });
  const probed = (name: string, missing: string | undefined) => add(name, missing === undefined, missing);

  add('root', process.getuid?.() === 0, 'dump and restore need root (CAP_SYS_ADMIN, CAP_SYS_PTRACE, CAP_CHECKPOINT_RESTORE)');
  const pidfd = sys(nr.pidfd_open, process.pid, 0);
  add('pidfd_open', pidfd >= 0, pidfd < 0 ? `errno ${-pidfd}` : undefined);
  if (pidfd >= 0) sys(nr.close, pidfd);
  probed('clone3 with set_tid', probeClone3SetTid());
  probed('PAGEMAP_SCAN', probePagemapScan());
  add('/proc/self/pagemap', existsSync('/proc/self/pagemap'));
  add('/proc/sys/kernel/ns_last_pid (CHECKPOINT_RESTORE)', existsSync('/proc/sys/kernel/ns_last_pid'));
  const yama = readOrEmpty('/proc/sys/kernel/yama/ptrace_scope').trim();
  add('ptrace allowed', yama === '' || yama === '0' || yama === '1' || process.getuid?.() === 0, yama ? `yama ptrace_scope ${yama}` : undefined);
  const failed = features.filter((f) => !f.ok);
  return failed.length === 0 ? right({ features }) : left(failed.map((f) => `${f.name}: missing${f.detail ? ` (${f.detail})` : ''}`).join('\n'));
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
