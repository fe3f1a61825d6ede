import { execFileSync } from 'node:child_process';
import { createServer, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type LockedConnection, NetworkLock, unlockRestored } from '../src/network-lock.js';

/** A TCP connection inside this process: the client's and the server's ends, and what the server got. */
async function connection(host: string): Promise<{ client: Socket; server: Socket; received: () => string; close: () => void }> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, host, resolve));
  const port = (listener.address() as { port: number }).port;
  const accepted = new Promise<Socket>((resolve) => listener.once('connection', resolve));
  const client = connect({ host, port });
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const server = await accepted;
  const chunks: Buffer[] = [];
  server.on('data', (chunk) => chunks.push(chunk));
  return {
    client,
    server,
    received: () => Buffer.concat(chunks).toString(),
    close: () => {
      client.destroy();
      server.destroy();
      listener.close();
    },
  };
}

/** The client's side of the connection, as a dump of the client's task would lock it. */
function clientSide(client: Socket, family: number): LockedConnection {
  const bytes = (text: string) => (family === 2 ? Uint8Array.from(text.split('.').map(Number)) : Uint8Array.from({ length: 16 }, (_, i) => (i === 15 ? 1 : 0)));
  return { family, local: bytes(client.localAddress!), localPort: client.localPort!, peer: bytes(client.remoteAddress!), peerPort: client.remotePort! };
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return check();
}

const ruleset = () => execFileSync('nft', ['list', 'ruleset']).toString();

const open: (() => void)[] = [];
afterEach(() => {
  for (const close of open.splice(0)) close();
});

describe('the network lock', () => {
  for (const method of ['nftables', 'iptables'] as const) {
    for (const [host, family] of [['127.0.0.1', 2], ['::1', 10]] as const) {
      it(`${method} holds a connection's packets (${host}) until it is unlocked, and they arrive then`, async () => {
        const c = await connection(host);
        open.push(c.close);
        const lock = new NetworkLock(method, `test-${process.pid}`);
        lock.lock(clientSide(c.client, family));
        try {
          c.client.write('held');
          expect(await waitFor(() => c.received() !== '', 600)).toBe(false);
        } finally {
          expect(lock.unlock()).toEqual([]);
        }
        // the client's retransmission goes through now
        expect(await waitFor(() => c.received() === 'held', 10_000)).toBe(true);
        expect(ruleset()).not.toContain(`CRIU-test-${process.pid}`);
        expect(ruleset()).not.toContain('0xc114');
      });
    }
  }

  it("an IPv6 socket talking to an IPv4-mapped address is locked as IPv4, as its packets go", async () => {
    const lock = new NetworkLock('nftables', `test-${process.pid}`);
    const mapped = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 127, 0, 0, 1]);
    lock.lock({ family: 10, local: mapped, localPort: 1111, peer: mapped, peerPort: 2222 });
    try {
      const table = execFileSync('nft', ['list', 'set', 'inet', `CRIU-test-${process.pid}`, 'conns4']).toString();
      expect(table).toContain('127.0.0.1 . 2222 . 127.0.0.1 . 1111');
      expect(table).toContain('127.0.0.1 . 1111 . 127.0.0.1 . 2222');
    } finally {
      expect(lock.unlock()).toEqual([]);
    }
  });

  it('a restore removes the lock its dump left, and a lock that is not there (moved images) is no failure', () => {
    const connection = { family: 2, local: Uint8Array.from([127, 0, 0, 1]), localPort: 3333, peer: Uint8Array.from([127, 0, 0, 1]), peerPort: 4444 };
    for (const method of ['nftables', 'iptables'] as const) {
      new NetworkLock(method, `test-${process.pid}`).lock(connection);
      expect(ruleset()).toContain('3333');
      expect(unlockRestored(method, `test-${process.pid}`, [connection])).toEqual([]);
      expect(ruleset()).not.toContain('3333');
      expect(unlockRestored(method, `test-${process.pid}`, [connection])).toEqual([]);
    }
  });

  it('without nft the lock fails, naming the package it needs; skip locks nothing', () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const lock = new NetworkLock('nftables', `test-${process.pid}`);
      const connection = { family: 2, local: Uint8Array.from([127, 0, 0, 1]), localPort: 1, peer: Uint8Array.from([127, 0, 0, 1]), peerPort: 2 };
      expect(() => lock.lock(connection)).toThrow('cannot make the network lock: nft is not installed (Debian package nftables)');
      const skip = new NetworkLock('skip', `test-${process.pid}`);
      skip.lock(connection);
      expect(skip.unlock()).toEqual([]);
    } finally {
      process.env.PATH = path;
    }
  });
});
