import { existsSync } from 'node:fs';
import { ImagesDir, type MessageValue } from '@criu-ts/images';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, selfCheck, startDetached } from './helpers.js';
import { compileFds, critDecode, critDecodesAll, dumpError, dumpOrThrow, expectOk, gone, imagesDir, removeFdsDirs, restoreError, restoreOrThrow } from './fds-workloads.js';

/** Unix sockets: pairs between tasks and within one, queues, shutdowns, listeners, names (workloads/fds/unix-sockets.c). */

let bin: string;
beforeAll(() => {
  bin = compileFds('unix-sockets');
});
afterEach(async () => {
  expect(await cleanup()).toEqual([]);
});
afterAll(() => removeFdsDirs());

describe('unix sockets', () => {
  it('come back connected, with their unread messages, shutdowns, names and listeners, across a parent and its child', async () => {
    const t = await startDetached(bin);
    const images = imagesDir();
    await dumpOrThrow(t.pid, images);
    expect(await gone(t.pid)).toBe(true);
    expect(await gone(Number(t.info.child))).toBe(true);

    // CRIU's form: UNIXSK entries naming their peers by inode, the unread messages in sk-queues.img
    expect(critDecodesAll(images)).toEqual([]);
    const files = critDecode(images, 'files.img').entries as { type: string; id: number; usk?: { ino: number; peer: number; type: string; state: string; shutdown?: string } }[];
    const sockets = files.filter((f) => f.type === 'UNIXSK').map((f) => f.usk!);
    // three pairs (the child holds their ends too: the same sockets), two listeners, one
    // unconnected, a datagram client and its server, three stream connections (one waiting), two
    // sockets whose peers are closed, one whose file was deleted
    expect(sockets).toHaveLength(19);
    expect(sockets.filter((s) => (s as { deleted?: boolean }).deleted)).toHaveLength(1);
    // connections name each other; the datagram client names its server, and the waiting client its
    // listener, neither of which names it
    const connected = sockets.filter((s) => s.peer !== 0);
    expect(connected).toHaveLength(12);
    for (const s of connected) expect(sockets.some((p) => p.ino === s.peer)).toBe(true);
    expect(connected.filter((s) => sockets.find((p) => p.ino === s.peer)!.peer !== s.ino)).toHaveLength(2);
    const queues = critDecode(images, 'sk-queues.img').entries as { id_for: number; length: number }[];
    // 1 + 1 stream, 3 datagrams, 2 records, 2 datagrams on the unconnected socket, 1 on the server,
    // 1 + 1 on the accepted connection, 1 on the one whose listener is gone, 1 on each orphan
    expect(queues.map((q) => q.length).sort((a, b) => a - b)).toEqual([3, 3, 4, 4, 4, 5, 5, 5, 6, 7, 9, 9, 9, 13, 13]);
    // the listener's socket file keeps its mode
    expect(sockets.filter((s) => (s as { file_perms?: { mode: number } }).file_perms?.mode === 0o640)).toHaveLength(1);

    expect(await restoreOrThrow(images)).toBe(t.pid);
    const check = await selfCheck(t);
    expect(check).toMatchObject({ stream: '1', child: '1', dgram: '1', seq: '1', listen: '1', unconn: '1', dconn: '1', accept: '1', orphan: '1', deleted: '1' });
    expectOk(check);
  });
});

describe('unix sockets that cannot come back', () => {
  it('bytes sent on a connection not accepted yet are refused by name at dump, and the task runs on', async () => {
    const t = await startDetached(bin, ['unaccepted-data']);
    const error = await dumpError(t.pid, imagesDir());
    expect(error).toMatch(new RegExp(`^task ${t.pid} fd \\d+ is a unix socket that sent \\d+ bytes on a connection not accepted yet: not supported yet$`));
    expect(existsSync(`/proc/${t.pid}`)).toBe(true);
  });

  it('a socket connected to one no dumped task holds is refused by name at dump, and the task runs on', async () => {
    // the listener is another process of its own, which the dump does not take
    const name = `criu-ts-outside-${process.pid}`;
    await startDetached(bin, ['serve', name]);
    const t = await startDetached(bin, ['connect', name]);
    const error = await dumpError(t.pid, imagesDir());
    expect(error).toMatch(new RegExp(`^task ${t.pid} fd \\d+ is a unix socket connected to socket:\\[\\d+\\], which no dumped task holds: not supported yet$`));
    expect(existsSync(`/proc/${t.pid}`)).toBe(true);
  });
});

describe('unix sockets in images that cannot be restored', () => {
  it('a connected stream socket whose peer is connected elsewhere (as a corrupt or foreign image may say) fails the restore by name, and nothing is left', async () => {
    const t = await startDetached(bin);
    const images = imagesDir();
    await dumpOrThrow(t.pid, images);
    expect(await gone(t.pid)).toBe(true);
    // point one end of a stream connection at an end of the datagram pair
    const dir = ImagesDir.open(images);
    if (dir._tag === 'Left') throw new Error(dir.left.message);
    const files = dir.right.read('files.img');
    if (files._tag === 'Left') throw new Error(files.left.message);
    const usks = files.right.entries.map((e) => e.message.usk as MessageValue | undefined).filter((u) => u !== undefined);
    const stream = usks.find((u) => Number(u.type) === 1 && Number(u.peer) !== 0 && (u.name as Uint8Array).length === 0)!;
    const dgram = usks.find((u) => Number(u.type) === 2 && Number(u.peer) !== 0)!;
    stream.peer = dgram.ino;
    const written = dir.right.write('files.img', files.right);
    if (written._tag === 'Left') throw new Error(written.left.message);

    const error = await restoreError(images);
    expect(error).toMatch(/^unix socket \d+ is a connected stream socket whose peer \d+ is connected elsewhere: not supported yet$/);
    expect(await gone(t.pid)).toBe(true);
    expect(await gone(Number(t.info.child))).toBe(true);
  });
});
