import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dump } from '../src/index.js';
import { cleanup, selfCheck, startDetached } from './helpers.js';
import { compileFds, critDecode, critDecodesAll, dumpError, dumpOrThrow, gone, imagesDir, removeFdsDirs, restoreOrThrow } from './fds-workloads.js';

/** TCP listeners and UDP sockets, v4 and v6, used by the test after a restore (workloads/fds/inet-sockets.c). */

const binJs = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** The host's nftables rules, where a dump's network lock shows as table inet CRIU-<run id>. */
const ruleset = () => execFileSync('nft', ['list', 'ruleset']).toString();

let bin: string;
beforeAll(() => {
  bin = compileFds('inet-sockets');
});
afterEach(async () => {
  expect(await cleanup()).toEqual([]);
  // a test that failed may leave its dump's lock: the next ones look for none
  for (const table of ruleset().matchAll(/^table inet (CRIU-\S+)/gm)) execFileSync('nft', ['delete', 'table', 'inet', table[1]]);
});
afterAll(() => removeFdsDirs());

/** What a connection to the listener on `host`:`port` is sent before it is closed. */
function greeting(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host, port }, () => undefined);
    socket.setTimeout(5000, () => socket.destroy(new Error(`no answer from ${host}:${port}`)));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString()));
    socket.on('error', reject);
  });
}

/** The answer to a datagram sent to 127.0.0.1:`port`. */
function echo(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no answer from 127.0.0.1:${port}`));
    }, 5000);
    socket.on('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(message.toString());
    });
    socket.send(text, port, '127.0.0.1');
  });
}

describe('inet sockets', () => {
  it('TCP listeners and UDP sockets come back on their addresses and ports, with their options, and serve', async () => {
    const t = await startDetached(bin);
    const ports = { tcp4: Number(t.info.tcp4), tcp6: Number(t.info.tcp6), udp4: Number(t.info.udp4), udp6: Number(t.info.udp6) };
    expect(await greeting('127.0.0.1', ports.tcp4)).toBe('hello 1');
    const images = imagesDir();
    await dumpOrThrow(t.pid, images);
    expect(await gone(t.pid)).toBe(true);

    // CRIU's form: INETSK entries with family, type, protocol, state, ports, and addresses as words
    // of their bytes in network order read little-endian (crit decode without --pretty shows numbers)
    expect(critDecodesAll(images)).toEqual([]);
    const files = critDecode(images, 'files.img').entries as { type: number; isk?: Record<string, unknown> }[];
    const sockets = files.filter((f) => f.isk).map((f) => f.isk!);
    const [INET, INET6, STREAM, DGRAM, TCP, UDP, ESTABLISHED, CLOSE, LISTEN] = [2, 10, 1, 2, 6, 17, 1, 7, 10];
    const LOOPBACK4 = [0x0100007f];
    const LOOPBACK6 = [0, 0, 0, 0x01000000];
    const find = (family: number, proto: number, state: number) => sockets.filter((s) => s.family === family && s.proto === proto && s.state === state);
    expect(sockets).toHaveLength(5);
    expect(find(INET, TCP, LISTEN)).toMatchObject([{ type: STREAM, src_port: ports.tcp4, src_addr: LOOPBACK4, backlog: 7, opts: { reuseaddr: true } }]);
    expect(find(INET6, TCP, LISTEN)).toMatchObject([{ type: STREAM, src_port: ports.tcp6, src_addr: LOOPBACK6, backlog: 3, v6only: true }]);
    expect(find(INET, UDP, CLOSE)).toMatchObject([{ type: DGRAM, src_port: ports.udp4, src_addr: LOOPBACK4 }]);
    expect(find(INET6, UDP, ESTABLISHED)).toMatchObject([{ src_port: ports.udp6, dst_port: 9, dst_addr: LOOPBACK6 }]);
    expect(find(INET, TCP, CLOSE)).toMatchObject([{ src_port: 0, src_addr: [0], opts: { so_keepalive: true } }]);

    expect(await restoreOrThrow(images)).toBe(t.pid);
    // the restored program answers on each port; its counter went on from before the dump
    expect(await greeting('127.0.0.1', ports.tcp4)).toBe('hello 2');
    expect(await greeting('::1', ports.tcp6)).toBe('hello 3');
    expect(await echo(ports.udp4, 'ping')).toBe('echo:ping');
    expect(await selfCheck(t)).toEqual({ udp4_device: 'lo', udp4_filter: '1', tcp4_reuse: '1', tcp4_nodelay: '1', tcp6_v6only: '1', tcp6_nonblock: '1', udp6_peer: '1', closed_keepalive: '1', closed_unbound: '1' });
  });
});

describe('established TCP connections (--tcp-established)', () => {
  it('come back in repair mode with the bytes each end had not read, and talk on', async () => {
    const t = await startDetached(bin, ['connection']);
    const images = imagesDir();
    await dumpOrThrow(t.pid, images, { tcpEstablished: true });
    expect(await gone(t.pid)).toBe(true);

    // CRIU's form: one tcp-stream image per connection end, named by its socket's inode in hex,
    // holding the bytes the end had not read
    expect(critDecodesAll(images)).toEqual([]);
    const files = critDecode(images, 'files.img').entries as { isk?: Record<string, unknown> }[];
    const ends = files.filter((f) => f.isk?.state === 1).map((f) => f.isk!);
    expect(ends.map((e) => e.src_port).sort()).toEqual([Number(t.info.server), Number(t.info.client)].sort());
    for (const end of ends) {
      const stream = critDecode(images, `tcp-stream-${Number(end.ino).toString(16)}.img`).entries[0] as Record<string, number>;
      expect(stream.inq_len).toBe(9);
      expect(stream.outq_len).toBe(0);
    }

    expect(await restoreOrThrow(images)).toBe(t.pid);
    expect(await selfCheck(t)).toEqual({ unread: '1', talk: '1', ports: '1' });
  });

  it('a connection with megabytes queued at both ends (the send buffer full) comes back with every byte in order', async () => {
    const t = await startDetached(bin, ['full']);
    const written = Number(t.info.written);
    expect(written).toBeGreaterThan(1 << 20);
    const images = imagesDir();
    await dumpOrThrow(t.pid, images, { tcpEstablished: true });
    expect(await gone(t.pid)).toBe(true);
    expect(await restoreOrThrow(images)).toBe(t.pid);
    expect(await selfCheck(t, 30_000)).toEqual({ bytes: String(written), intact: '1' });
  });

  it('a connect in progress (SYN_SENT) comes back connecting, and is made once its packets pass', async () => {
    const t = await startDetached(bin, ['connecting']);
    // the packets to the listener are dropped, so the connect stays in SYN_SENT
    const table = `criu-ts-test-${process.pid}`;
    execFileSync('nft', ['-f', '-'], { input: `add table inet ${table}\nadd chain inet ${table} input { type filter hook input priority 0; }\nadd rule inet ${table} input tcp dport ${t.info.port} drop\n` });
    try {
      writeFileSync(join(t.dir, 'go'), '');
      const deadline = Date.now() + 5000;
      while (!existsSync(join(t.dir, 'connecting')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const images = imagesDir();
      await dumpOrThrow(t.pid, images, { tcpEstablished: true });
      expect(await gone(t.pid)).toBe(true);
      expect(critDecode(images, 'files.img').entries.some((e) => (e.isk as Record<string, unknown> | undefined)?.state === 2)).toBe(true);
      expect(await restoreOrThrow(images)).toBe(t.pid);
    } finally {
      execFileSync('nft', ['delete', 'table', 'inet', table]);
    }
    expect(await selfCheck(t, 20_000)).toEqual({ states: '1', made: '1', talk: '1' });
  });

  it('a half-closed connection comes back half-closed (FIN_WAIT2 and CLOSE_WAIT) with its unread bytes, and closes', async () => {
    const t = await startDetached(bin, ['halfclosed']);
    const images = imagesDir();
    await dumpOrThrow(t.pid, images, { tcpEstablished: true });
    expect(await gone(t.pid)).toBe(true);
    const states = critDecode(images, 'files.img')
      .entries.map((e) => (e.isk as Record<string, unknown> | undefined)?.state)
      .filter((state) => state !== undefined && state !== 10);
    // crit names TCP states by number: FIN_WAIT2 is 5, CLOSE_WAIT 8
    expect(states.sort()).toEqual([5, 8]);
    expect(await restoreOrThrow(images)).toBe(t.pid);
    expect(await selfCheck(t)).toEqual({ states: '1', unread: '1', closing: '1' });
  });

  it('a connection to a peer outside the tree (this test) survives the dump and the restore', async () => {
    const t = await startDetached(bin, ['echo']);
    const socket = connect({ host: '127.0.0.1', port: Number(t.info.port) });
    const answers: string[] = [];
    socket.on('data', (chunk) => answers.push(chunk.toString()));
    const answer = async (text: string) => {
      const before = answers.length;
      socket.write(text);
      const deadline = Date.now() + 10_000;
      while (answers.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      return answers.slice(before).join('');
    };
    try {
      expect(await answer('one')).toBe('echo:one');
      const images = imagesDir();
      await dumpOrThrow(t.pid, images, { tcpEstablished: true });
      expect(await gone(t.pid)).toBe(true);
      // the network lock holds what the peer sends while the server is gone (no socket there would
      // answer with a reset), and its retransmission reaches the restored server
      const before = answers.length;
      socket.write('while gone');
      await new Promise((r) => setTimeout(r, 300));
      expect(ruleset()).toContain('table inet CRIU-');
      expect(await restoreOrThrow(images)).toBe(t.pid);
      expect(ruleset()).not.toContain('table inet CRIU-');
      const deadline = Date.now() + 10_000;
      while (answers.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(answers.slice(before).join('')).toBe('echo:while gone');
      expect(await answer('two')).toBe('echo:two');
    } finally {
      socket.destroy();
    }
  });

  it('with --network-lock skip, a peer that sends while the tree is gone gets a reset', async () => {
    const t = await startDetached(bin, ['echo']);
    const socket = connect({ host: '127.0.0.1', port: Number(t.info.port) });
    const failed = new Promise<string>((resolve) => socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message)));
    await new Promise((resolve) => socket.once('connect', resolve));
    try {
      await dumpOrThrow(t.pid, imagesDir(), { tcpEstablished: true, networkLock: 'skip' });
      expect(await gone(t.pid)).toBe(true);
      expect(ruleset()).not.toContain('table inet CRIU-');
      socket.write('while gone');
      expect(await failed).toBe('ECONNRESET');
    } finally {
      socket.destroy();
    }
  });

  it('a dump that leaves the tree running takes the connection out of repair mode and the lock away: it talks on', async () => {
    const t = await startDetached(bin, ['connection']);
    const images = imagesDir();
    const dumped = await dump({ pid: t.pid, imagesDir: images, files: { tcpEstablished: true }, leaveRunning: true })();
    expect(dumped._tag).toBe('Right');
    expect(ruleset()).not.toContain('table inet CRIU-');
    expect(await selfCheck(t)).toEqual({ unread: '1', talk: '1', ports: '1' });
    // inventory.img names the lock's method as CRIU does (1: nftables)
    expect(critDecode(images, 'inventory.img').entries[0].network_lock_method).toBe(1);
  });
});

/**
 * The CLI dumping or restoring `pid` / `images`, paused at `step` (CRIU_TS_PAUSE_AT) and sent SIGINT
 * there: its exit code and what it printed.
 */
async function interruptedRun(args: string[], step: string, said: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [binJs, ...args, '-v4'], { env: { ...process.env, CRIU_TS_PAUSE_AT: step }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    const before = stderr;
    stderr += chunk.toString();
    if (!before.includes(said) && stderr.includes(said)) child.kill('SIGINT');
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, stderr };
}

describe('a dump or restore stopped by a signal', () => {
  it('a dump stopped once its connection is locked and in repair mode leaves the tree running and talking, unlocked', async () => {
    const t = await startDetached(bin, ['echo']);
    const socket = connect({ host: '127.0.0.1', port: Number(t.info.port) });
    const answers: string[] = [];
    socket.on('data', (chunk) => answers.push(chunk.toString()));
    try {
      const { code, stderr } = await interruptedRun(['dump', '-t', String(t.pid), '-D', imagesDir(), '--tcp-established'], 'pages', 'dump step pages');
      expect(code).toBe(1);
      expect(stderr).toContain('SIGINT: stopping the dump');
      expect(stderr).toContain('dump failed: interrupted by signal 2 at step pages');
      expect(ruleset()).not.toContain('table inet CRIU-');
      expect(readFileSync(`/proc/${t.pid}/status`, 'utf8')).toMatch(/^TracerPid:\s+0$/m);
      // out of repair mode and unlocked: the connection answers
      socket.write('after');
      const deadline = Date.now() + 10_000;
      while (answers.join('') !== 'echo:after' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(answers.join('')).toBe('echo:after');
    } finally {
      socket.destroy();
    }
  });

  it('a restore stopped before its tasks run leaves none of them, and the images restore afterwards', async () => {
    const t = await startDetached(bin, ['connection']);
    const images = imagesDir();
    await dumpOrThrow(t.pid, images, { tcpEstablished: true });
    expect(await gone(t.pid)).toBe(true);
    const { code, stderr } = await interruptedRun(['restore', '-D', images, '-d'], 'release', 'restore step release');
    expect({ code, stopped: stderr.includes('restore failed: interrupted by signal 2 at step release') }).toEqual({ code: 1, stopped: true });
    expect(await gone(t.pid)).toBe(true);
    // the dump's lock is still there, for the restore that follows
    expect(ruleset()).toContain('table inet CRIU-');
    expect(await restoreOrThrow(images)).toBe(t.pid);
    expect(ruleset()).not.toContain('table inet CRIU-');
    expect(await selfCheck(t)).toEqual({ unread: '1', talk: '1', ports: '1' });
  });
});

describe('inet sockets that cannot come back', () => {
  it('a TCP connection is refused by name at dump without --tcp-established, and the task runs on', async () => {
    const t = await startDetached(bin, ['established']);
    const error = await dumpError(t.pid, imagesDir());
    expect(error).toMatch(
      new RegExp(`^task ${t.pid} fd \\d+ is a TCP socket on 127\\.0\\.0\\.1:\\d+ connected to 127\\.0\\.0\\.1:\\d+ \\(ESTABLISHED\\): an established TCP connection is dumped only with --tcp-established$`),
    );
    expect(existsSync(`/proc/${t.pid}`)).toBe(true);
  });
});
