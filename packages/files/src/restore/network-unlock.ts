import type { MessageValue } from '@criu-ts/images';
import type { RestorePlan } from '@criu-ts/subsystem';
import { inetBytes } from '../inet-address.js';
import { type LockedConnection, NETWORK_LOCK_METHODS, unlockRestored } from '../network-lock.js';
import { IPPROTO_TCP } from '../socket-constants.js';
import { isTcpConnection } from '../tcp-fins.js';

/**
 * Removes the network lock the dump left for its TCP connections (see NetworkLock), once
 * they are restored: the method and run id come from inventory.img (images without the field were
 * locked with iptables, CRIU's default). What failed, if anything; images without TCP connections
 * had no lock.
 */
export function unlockRestoredConnections(plan: RestorePlan): string[] {
  const connections: LockedConnection[] = [];
  for (const file of plan.files.values()) {
    const isk = file.isk as MessageValue | undefined;
    if (!isk || Number(isk.proto) !== IPPROTO_TCP || !isTcpConnection(Number(isk.state))) continue;
    connections.push({
      family: Number(isk.family),
      local: inetBytes((isk.src_addr as number[]).map(Number)),
      localPort: Number(isk.src_port),
      peer: inetBytes((isk.dst_addr as number[]).map(Number)),
      peerPort: Number(isk.dst_port),
    });
  }
  const number = Number(plan.inventory.network_lock_method ?? 0);
  const method = NETWORK_LOCK_METHODS[number];
  if (method === undefined) return connections.length ? [`inventory.img names network lock method ${number}, which criu-ts does not know`] : [];
  const runId = plan.inventory.dump_criu_run_id;
  return unlockRestored(method, runId === undefined ? undefined : String(runId), connections);
}
