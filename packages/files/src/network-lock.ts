import { spawnSync } from 'node:child_process';
import { inetAddressText, mappedIpv4 } from './inet-address.js';
import { AF_INET, AF_INET6 } from './socket-constants.js';

/**
 * The network lock (CRIU's --network-lock): while the tasks of a dump with established TCP
 * connections are gone, their peers' packets must not reach a kernel that has no socket for them
 * (it would answer with a reset, and the peer would drop the connection), nor may the connections'
 * own sockets answer before the dump has read them. Each connection's packets, both ways, are
 * dropped from before it is read until the restored one is back, by nftables (a table of the
 * dump's own, CRIU's "inet CRIU-<run id>", with a set of the locked connections) or iptables (a
 * rule per direction, as CRIU adds them). Packets marked 0xC114 pass, as with CRIU. `skip` locks
 * nothing (a peer outside the tree that sends meanwhile gets a reset).
 */
export type NetworkLockMethod = 'iptables' | 'nftables' | 'skip';

/** The methods by their number in inventory.img (network_lock_method, CRIU's order). */
export const NETWORK_LOCK_METHODS: readonly NetworkLockMethod[] = ['iptables', 'nftables', 'skip'];

/** One TCP connection: its addresses in network order (4 or 16 bytes) and ports. */
export interface LockedConnection {
  readonly family: number;
  readonly local: Uint8Array;
  readonly localPort: number;
  readonly peer: Uint8Array;
  readonly peerPort: number;
}

/** Packets with this mark pass the lock (CRIU's SOCCR_MARK): the restore's own segments (see peer-segment.ts). */
export const PASS_MARK = 0xc114;
const PASS_MARK_TEXT = `0x${PASS_MARK.toString(16)}`;

/** The lock of one dump: made on the first connection, removed by unlock() unless the dump leaves it for the restore. */
export class NetworkLock {
  private made = false;
  private readonly locked: LockedConnection[] = [];

  constructor(
    readonly method: NetworkLockMethod,
    /** The dump's run id (inventory.img's dump_criu_run_id), which names the nftables table. */
    readonly runId: string,
  ) {}

  /** Drops the connection's packets, both ways, from now on; throws an Error naming what failed. */
  lock(connection: LockedConnection): void {
    if (this.method === 'skip') return;
    if (this.method === 'nftables') {
      if (!this.made) nft(tableScript(nftTable(this.runId)), 'make the network lock');
      this.made = true;
      nft(`add element ${nftTable(this.runId)} ${nftElements(connection)}\n`, 'lock a connection');
    } else {
      const rules = iptablesRules(connection);
      rules.forEach((rule, i) => {
        try {
          iptables(rule, '-I');
        } catch (error) {
          // the rules made so far go again: a half-locked connection is no lock
          for (const done of rules.slice(0, i)) ignoreFailure(() => iptables(done, '-D'));
          throw error;
        }
      });
    }
    this.locked.push(connection);
  }

  /** Lets the connections' packets through again; what failed, if anything. */
  unlock(): string[] {
    const failures: string[] = [];
    if (this.method === 'nftables' && this.made) {
      try {
        nft(`delete table ${nftTable(this.runId)}\n`, 'remove the network lock');
      } catch (error) {
        failures.push(`${(error as Error).message} (nft delete table ${nftTable(this.runId)} removes it)`);
      }
    }
    if (this.method === 'iptables') failures.push(...unlockIptables(this.locked));
    this.made = false;
    this.locked.length = 0;
    return failures;
  }
}

/**
 * Removes the lock a dump left for its connections, once they are restored; what failed, if
 * anything. A lock that is not there (the images were moved to another host, or it was removed
 * already) is no failure.
 */
export function unlockRestored(method: NetworkLockMethod, runId: string | undefined, connections: readonly LockedConnection[]): string[] {
  if (method === 'skip' || connections.length === 0) return [];
  if (method === 'iptables') return unlockIptables(connections);
  if (runId === undefined) return ['inventory.img names no run id: the nftables lock of the dump cannot be found'];
  try {
    nft(`delete table ${nftTable(runId)}\n`, 'remove the network lock');
    return [];
  } catch (error) {
    const message = (error as Error).message;
    return /No such file or directory/.test(message) ? [] : [message];
  }
}

/**
 * Why a lock by `method` cannot be made here, or undefined if it can: nftables' table is checked by
 * the kernel without being made (nft --check), iptables' tables are listed.
 */
export function networkLockMissing(method: NetworkLockMethod): string | undefined {
  try {
    if (method === 'nftables') run('nft', ['--check', '-f', '-'], tableScript(nftTable('check')), 'make the network lock', 'nftables');
    if (method === 'iptables') for (const command of ['iptables', 'ip6tables']) run(command, ['-w', '-L', '-n'], undefined, 'list the filter table', 'iptables');
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function unlockIptables(connections: readonly LockedConnection[]): string[] {
  const failures: string[] = [];
  for (const connection of connections) {
    for (const rule of iptablesRules(connection)) {
      try {
        iptables(rule, '-D');
      } catch (error) {
        const message = (error as Error).message;
        if (!/does a matching rule exist|Bad rule/.test(message)) failures.push(message);
      }
    }
  }
  return failures;
}

function nftTable(runId: string): string {
  return `inet CRIU-${runId}`;
}

/** The table, its input and output chains, and a set of connections per family whose packets they drop. */
function tableScript(table: string): string {
  const lines = [`add table ${table}`];
  for (const hook of ['input', 'output']) {
    lines.push(`add chain ${table} ${hook} { type filter hook ${hook} priority 0; }`);
    lines.push(`add rule ${table} ${hook} meta mark ${PASS_MARK_TEXT} accept`);
  }
  for (const [set, type, ip] of [['conns4', 'ipv4_addr', 'ip'], ['conns6', 'ipv6_addr', 'ip6']]) {
    lines.push(`add set ${table} ${set} { type ${type} . inet_service . ${type} . inet_service; }`);
    for (const hook of ['input', 'output']) lines.push(`add rule ${table} ${hook} ${ip} saddr . tcp sport . ${ip} daddr . tcp dport @${set} drop`);
  }
  return `${lines.join('\n')}\n`;
}

/** The set and its two elements (one per direction) for `connection`. */
function nftElements(connection: LockedConnection): string {
  const { v4, local, peer } = onTheWire(connection);
  const there = `${peer} . ${connection.peerPort}`;
  const here = `${local} . ${connection.localPort}`;
  return `${v4 ? 'conns4' : 'conns6'} { ${there} . ${here}, ${here} . ${there} }`;
}

/** The two iptables rules of a connection: its peer's packets coming in, its own going out. */
function iptablesRules(connection: LockedConnection): { v4: boolean; args: string[] }[] {
  const { v4, local, peer } = onTheWire(connection);
  const rule = (chain: string, from: string, fromPort: number, to: string, toPort: number) => ({
    v4,
    args: [chain, '-t', 'filter', '--protocol', 'tcp', '-m', 'mark', '!', '--mark', PASS_MARK_TEXT, '--source', from, '--sport', String(fromPort), '--destination', to, '--dport', String(toPort), '-j', 'DROP'],
  });
  return [rule('INPUT', peer, connection.peerPort, local, connection.localPort), rule('OUTPUT', local, connection.localPort, peer, connection.peerPort)];
}

/** The connection's addresses as its packets carry them: an IPv6 socket talking to an IPv4-mapped address sends IPv4. */
function onTheWire(connection: LockedConnection): { v4: boolean; local: string; peer: string } {
  let { local, peer } = connection;
  let v4 = connection.family === AF_INET;
  const peer4 = connection.family === AF_INET6 ? mappedIpv4(peer) : undefined;
  if (peer4) {
    v4 = true;
    local = mappedIpv4(local) ?? local.subarray(12);
    peer = peer4;
  }
  if (!v4 && connection.family !== AF_INET6) throw new Error(`address family ${connection.family} cannot be locked`);
  return { v4, local: inetAddressText(local), peer: inetAddressText(peer) };
}

/** Runs an nft script; throws an Error naming `what` and nft's complaint. */
function nft(script: string, what: string): void {
  run('nft', ['-f', '-'], script, what, 'nftables');
}

function iptables(rule: { v4: boolean; args: string[] }, action: '-I' | '-D'): void {
  const command = rule.v4 ? 'iptables' : 'ip6tables';
  run(command, ['-w', action, ...rule.args], undefined, `${action === '-I' ? 'lock' : 'unlock'} a connection`, 'iptables');
}

function run(command: string, args: string[], input: string | undefined, what: string, debianPackage: string): void {
  const result = spawnSync(command, args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(`cannot ${what}: ${missing ? `${command} is not installed (Debian package ${debianPackage})` : result.error.message}`);
  }
  if (result.status !== 0) throw new Error(`cannot ${what}: ${command} ${args.join(' ')} failed: ${(result.stderr || result.stdout).trim().split('\n')[0]}`);
}

function ignoreFailure(action: () => void): void {
  try {
    action();
  } catch {
    // a rollback that fails leaves what it could not undo, and the first failure is the one told
  }
}
