/**
 * Every schema file of CRIU 4.x's image messages. CRIU's .proto files share one flat namespace,
 * so a name is looked up across all of them.
 */
import type { SchemaFile } from './define.js';
import { apparmorSchema } from './apparmor.js';
import { autofsSchema } from './autofs.js';
import { binfmtMiscSchema } from './binfmt-misc.js';
import { bpfmapDataSchema } from './bpfmap-data.js';
import { bpfmapFileSchema } from './bpfmap-file.js';
import { cgroupSchema } from './cgroup.js';
import { coreAarch64Schema } from './core-aarch64.js';
import { coreArmSchema } from './core-arm.js';
import { coreLoongarch64Schema } from './core-loongarch64.js';
import { coreMipsSchema } from './core-mips.js';
import { corePpc64Schema } from './core-ppc64.js';
import { coreRiscv64Schema } from './core-riscv64.js';
import { coreS390Schema } from './core-s390.js';
import { coreX86Schema } from './core-x86.js';
import { coreSchema } from './core.js';
import { cpuinfoSchema } from './cpuinfo.js';
import { credsSchema } from './creds.js';
import { eventfdSchema } from './eventfd.js';
import { eventpollSchema } from './eventpoll.js';
import { extFileSchema } from './ext-file.js';
import { fdinfoSchema } from './fdinfo.js';
import { fhSchema } from './fh.js';
import { fifoSchema } from './fifo.js';
import { fileLockSchema } from './file-lock.js';
import { fownSchema } from './fown.js';
import { fsSchema } from './fs.js';
import { fsnotifySchema } from './fsnotify.js';
import { ghostFileSchema } from './ghost-file.js';
import { inventorySchema } from './inventory.js';
import { ipcDescSchema } from './ipc-desc.js';
import { ipcMsgSchema } from './ipc-msg.js';
import { ipcSemSchema } from './ipc-sem.js';
import { ipcShmSchema } from './ipc-shm.js';
import { ipcVarSchema } from './ipc-var.js';
import { macvlanSchema } from './macvlan.js';
import { memfdSchema } from './memfd.js';
import { mmSchema } from './mm.js';
import { mntSchema } from './mnt.js';
import { netdevSchema } from './netdev.js';
import { nsSchema } from './ns.js';
import { packetSockSchema } from './packet-sock.js';
import { pagemapSchema } from './pagemap.js';
import { pidfdSchema } from './pidfd.js';
import { pidnsSchema } from './pidns.js';
import { pipeDataSchema } from './pipe-data.js';
import { pipeSchema } from './pipe.js';
import { pstreeSchema } from './pstree.js';
import { regfileSchema } from './regfile.js';
import { remapFilePathSchema } from './remap-file-path.js';
import { rlimitSchema } from './rlimit.js';
import { rseqSchema } from './rseq.js';
import { saSchema } from './sa.js';
import { seccompSchema } from './seccomp.js';
import { siginfoSchema } from './siginfo.js';
import { signalfdSchema } from './signalfd.js';
import { sitSchema } from './sit.js';
import { skInetSchema } from './sk-inet.js';
import { skNetlinkSchema } from './sk-netlink.js';
import { skOptsSchema } from './sk-opts.js';
import { skPacketSchema } from './sk-packet.js';
import { skUnixSchema } from './sk-unix.js';
import { statsSchema } from './stats.js';
import { sysctlSchema } from './sysctl.js';
import { tcpStreamSchema } from './tcp-stream.js';
import { timeSchema } from './time.js';
import { timensSchema } from './timens.js';
import { timerSchema } from './timer.js';
import { timerfdSchema } from './timerfd.js';
import { ttySchema } from './tty.js';
import { tunSchema } from './tun.js';
import { usernsSchema } from './userns.js';
import { utsnsSchema } from './utsns.js';
import { vmaSchema } from './vma.js';

export const SCHEMA_FILES: readonly SchemaFile[] = [
  apparmorSchema,
  autofsSchema,
  binfmtMiscSchema,
  bpfmapDataSchema,
  bpfmapFileSchema,
  cgroupSchema,
  coreAarch64Schema,
  coreArmSchema,
  coreLoongarch64Schema,
  coreMipsSchema,
  corePpc64Schema,
  coreRiscv64Schema,
  coreS390Schema,
  coreX86Schema,
  coreSchema,
  cpuinfoSchema,
  credsSchema,
  eventfdSchema,
  eventpollSchema,
  extFileSchema,
  fdinfoSchema,
  fhSchema,
  fifoSchema,
  fileLockSchema,
  fownSchema,
  fsSchema,
  fsnotifySchema,
  ghostFileSchema,
  inventorySchema,
  ipcDescSchema,
  ipcMsgSchema,
  ipcSemSchema,
  ipcShmSchema,
  ipcVarSchema,
  macvlanSchema,
  memfdSchema,
  mmSchema,
  mntSchema,
  netdevSchema,
  nsSchema,
  packetSockSchema,
  pagemapSchema,
  pidfdSchema,
  pidnsSchema,
  pipeDataSchema,
  pipeSchema,
  pstreeSchema,
  regfileSchema,
  remapFilePathSchema,
  rlimitSchema,
  rseqSchema,
  saSchema,
  seccompSchema,
  siginfoSchema,
  signalfdSchema,
  sitSchema,
  skInetSchema,
  skNetlinkSchema,
  skOptsSchema,
  skPacketSchema,
  skUnixSchema,
  statsSchema,
  sysctlSchema,
  tcpStreamSchema,
  timeSchema,
  timensSchema,
  timerSchema,
  timerfdSchema,
  ttySchema,
  tunSchema,
  usernsSchema,
  utsnsSchema,
  vmaSchema,
];
