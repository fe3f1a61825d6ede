/**
 * `criu-ts check --feature NAME`, with CRIU's feature names. A feature is reported as there only when
 * criu-ts uses it and this kernel has it, tried for real where that can be done without touching
 * another process; any other feature CRIU knows is answered "no", with the reason, so a caller such
 * as zdtm.py skips what needs it. A name CRIU does not know is an error of its own.
 */
import { type Either, left, right } from 'fp-ts/lib/Either.js';
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { networkLockMissing } from '@criu-ts/files';
import { addressOf, hostArch, kbuf, PAGE_IS, pagemapScan, sys } from '@criu-ts/ptrace';

/** Why a feature is not there, or that the name is not one of CRIU's. */
export interface FeatureMissing {
  readonly unknown: boolean;
  readonly message: string;
}

type Probe = () => string | undefined;

/** Features criu-ts uses: each probe returns why the feature is missing here, or undefined. */
const USED: Record<string, Probe> = {
  clone3_set_tid: probeClone3SetTid,
  get_rseq_conf: () => kernelAtLeast(5, 13, 'PTRACE_GET_RSEQ_CONFIGURATION'),
  seccomp_suspend: probeSeccompSuspend,
  seccomp_filters: () => kernelAtLeast(4, 4, 'PTRACE_SECCOMP_GET_FILTER'),
  pagemap_scan: probePagemapScan,
  mnt_id: () => (readOrEmpty('/proc/self/fdinfo/0').includes('mnt_id:') ? undefined : '/proc/PID/fdinfo has no mnt_id'),
  timerfd: () => kernelAtLeast(3, 17, 'TFD_IOC_SET_TICKS'),
  kcmp_epoll: () => kernelAtLeast(4, 13, 'KCMP_EPOLL_TFD'),
  loginuid: () => (existsSync('/proc/self/loginuid') ? undefined : '/proc/self/loginuid is missing (no audit)'),
  timer_cr_ids: probeTimerRestoreIds,
  memfd_hugetlb: probeMemfdHugetlb,
  fdinfo_lock: () => kernelAtLeast(4, 1, 'locks in /proc/PID/fdinfo'),
  // the network lock of established TCP connections (--network-lock nftables, the default, or iptables)
  nftables: () => networkLockMissing('nftables'),
  network_lock_nftables: () => networkLockMissing('nftables'),
  has_ipt_legacy: () => networkLockMissing('iptables'),
  // a half-closed connection's FINs are made again by shutdown in repair mode and a raw segment
  tcp_half_closed: () => kernelAtLeast(4, 11, 'TCP repair of half-closed connections'),
};

/** CRIU's other features: what criu-ts would need them for, and does not do yet. */
const NOT_USED: Record<string, string> = {
  mem_dirty_track: 'no pre-dump or incremental dump yet',
  aio_remap: 'AIO rings are not dumped yet',
  tun: 'tun devices are not dumped yet',
  tun_ns: 'tun devices are not dumped yet',
  userns: 'user namespaces are not dumped yet',
  cgroupns: 'cgroup namespaces are not dumped yet',
  autofs: 'autofs mounts are not dumped yet',
  compat_cr: '32-bit tasks are not dumped',
  uffd: 'no lazy restore yet',
  'uffd-noncoop': 'no lazy restore yet',
  can_map_vdso: 'the dumped vDSO is moved into place; no new vDSO is mapped',
  sk_ns: 'network namespaces are not dumped yet',
  sk_unix_file: 'not used: the file a unix socket is bound to is found by its path',
  net_diag_raw: 'raw sockets are not dumped yet',
  nsid: 'network namespaces are not dumped yet',
  link_nsid: 'network namespaces are not dumped yet',
  timens: 'time namespaces are not dumped yet',
  external_net_ns: 'network namespaces are not dumped yet',
  newifindex: 'network devices are not dumped yet',
  pidfd_store: 'no pre-dump yet',
  ns_pid: 'PID namespaces are not dumped yet',
  apparmor_stacking: 'AppArmor profiles are not restored yet',
  sockopt_buf_lock: 'SO_BUF_LOCK is not kept yet',
  move_mount_set_group: 'mount namespaces are not dumped yet',
  openat2: 'not used',
  ipv6_freebind: 'IP_FREEBIND is not kept yet',
  overlayfs_maps: 'not used',
  breakpoints: 'hardware breakpoints are not dumped yet',
  pagemap_scan_guard_pages: 'guard pages are not dumped yet',
};

/** CRIU's feature names, sorted (for messages). */
export const FEATURE_NAMES = [...Object.keys(USED), ...Object.keys(NOT_USED)].sort();

/** Whether `name` is there for criu-ts: a line to print, or why not. */
export function checkFeature(name: string): Either<FeatureMissing, string> {
  const probe = USED[name];
  if (probe) {
    const missing = probe();
    return missing === undefined ? right(`${name} is supported`) : left({ unknown: false, message: `${name} is not supported: ${missing}` });
  }
  const reason = NOT_USED[name];
  if (reason !== undefined) return left({ unknown: false, message: `${name} is not supported by criu-ts: ${reason}` });
  return left({ unknown: true, message: `Unknown feature ${name} (CRIU's features: ${FEATURE_NAMES.join(', ')})` });
}

/**
 * clone3 with a set_tid pointer but no count: a kernel with set_tid (5.5) rejects it with EINVAL,
 * an older one with E2BIG (the struct is longer than it knows), one without clone3 with ENOSYS.
 * Nothing is created either way.
 */
export function probeClone3SetTid(): string | undefined {
  const args = kbuf(80);
  args.writeBigUInt64LE(1n, 64); // set_tid
  const r = sys(hostArch().syscalls.clone3, addressOf(args), 80);
  if (r === -EINVAL) return undefined;
  return r === -ENOSYS ? 'no clone3 (Linux 5.3)' : `clone3 has no set_tid (Linux 5.5): probe returned ${r}`;
}

/** A memfd of huge pages (4.14): shared memory of huge pages comes back as one. */
function probeMemfdHugetlb(): string | undefined {
  const name = kbuf(16);
  name.write('criu-ts-probe');
  const fd = sys(hostArch().syscalls.memfd_create, addressOf(name), MFD_CLOEXEC | MFD_HUGETLB);
  if (fd < 0) return `memfd_create(MFD_HUGETLB) failed: errno ${-fd}`;
  sys(hostArch().syscalls.close, fd);
  return undefined;
}

/** PTRACE_O_SUSPEND_SECCOMP (4.3) needs seccomp, CONFIG_CHECKPOINT_RESTORE and CAP_SYS_ADMIN. */
function probeSeccompSuspend(): string | undefined {
  if (!/^Seccomp:/m.test(readOrEmpty('/proc/self/status'))) return 'the kernel has no seccomp';
  if (!existsSync('/proc/sys/kernel/ns_last_pid')) return 'the kernel has no CONFIG_CHECKPOINT_RESTORE';
  if (process.getuid?.() !== 0) return 'it needs root (CAP_SYS_ADMIN)';
  return kernelAtLeast(4, 3, 'PTRACE_O_SUSPEND_SECCOMP');
}

/** A real PAGEMAP_SCAN (6.7) of one page of this process: dumps find the pages to copy with it. */
export function probePagemapScan(): string | undefined {
  const scan = pagemapScan(process.pid, 0n, 4096n, { categoryAnyofMask: PAGE_IS.PRESENT, returnMask: PAGE_IS.PRESENT });
  return scan._tag === 'Right' ? undefined : `ioctl(PAGEMAP_SCAN) failed (Linux 6.7): ${scan.left.code}`;
}

/** For what cannot be tried without a tracee: the kernel release it came with. */
function kernelAtLeast(major: number, minor: number, what: string): string | undefined {
  const [a, b] = release().split('.').map((part) => parseInt(part, 10));
  return a > major || (a === major && b >= minor) ? undefined : `${what} needs Linux ${major}.${minor}, this is ${release()}`;
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

const EINVAL = 22;
const ENOSYS = 38;
const MFD_CLOEXEC = 1;
const MFD_HUGETLB = 4;

/** prctl(PR_TIMER_CREATE_RESTORE_IDS, GET): POSIX timers created with the ids they had. */
function probeTimerRestoreIds(): string | undefined {
  const PR_TIMER_CREATE_RESTORE_IDS = 77;
  const GET = 2;
  const r = sys(hostArch().syscalls.prctl, PR_TIMER_CREATE_RESTORE_IDS, GET, 0, 0, 0);
  return r < 0 ? `prctl(PR_TIMER_CREATE_RESTORE_IDS) is not supported (errno ${-r}); timers are created in id order instead` : undefined;
}
