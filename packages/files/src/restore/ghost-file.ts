import { existsSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { RestoreFault } from '@criu-ts/subsystem';
import { readKindImage } from './kind-image.js';
import { cString } from '../c-string.js';

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_REMOVEDIR = 0x200;
const O_RDWR = 2;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_CLOEXEC = 0o2000000;
const O_PATH = 0o10000000;
const RENAME_NOREPLACE = 1;
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFIFO = 0o010000;
const UTIME_OMIT = (1 << 30) - 2;
const ENOENT = 2;
const EEXIST = 17;

/**
 * Recreates ghost file `id` (a file deleted while open, saved in ghost-file-<id>.img) for the deleted
 * file `path`, and returns our fd of it, which has no name left: the file is made next to `path` under
 * CRIU's temporary name, given its contents, owner, mode and times, moved onto `path` if that name is
 * free (so /proc shows the old name, " (deleted)"), and unlinked. Directories on the way to `path`
 * that were removed too are made for the while and removed again.
 */
export function makeGhost(imagesDir: string, id: number, path: string): number {
  const image = `ghost-file-${id.toString(16)}.img`;
  const entries = readKindImage(imagesDir, image);
  if (!entries || entries.length === 0) throw new RestoreFault('files', `${image}, which holds the deleted file ${path}, is missing`);
  const ghost = entries[0].message;
  const type = Number(ghost.mode) & S_IFMT;
  const temp = `${path}.cr.${id.toString(16)}.ghost`;
  const fail = (doing: string, errno: number): never => {
    const hint = errno === ENOENT && doing === 'create' ? ` (its directory is gone)` : '';
    throw new RestoreFault('files', `cannot recreate the deleted file ${path} (${image}): ${doing} ${temp}: errno ${errno}${hint}`);
  };
  const nr = hostArch().syscalls;
  const name = cString(temp);
  const parents = makeMissingParents(path);
  let anchor = -1;
  let made = false;
  let at = temp;
  try {
    if (type === S_IFREG) {
      anchor = sys(nr.openat, AT_FDCWD, addressOf(name), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600);
      if (anchor < 0) fail('create', -anchor);
      made = true;
      fillGhost(anchor, entries.slice(1), entries[0].payload as Uint8Array | undefined, ghost, path);
    } else {
      const r = type === S_IFDIR ? sys(nr.mkdirat, AT_FDCWD, addressOf(name), 0o700) : type === S_IFIFO ? sys(nr.mknodat, AT_FDCWD, addressOf(name), S_IFIFO | 0o600, 0) : -1;
      if (r === -1 && type !== S_IFDIR && type !== S_IFIFO) throw new RestoreFault('files', `${image}: the deleted file ${path} has mode 0${type.toString(8)}, which is not a file, directory or FIFO`);
      if (r < 0) fail('create', -r);
      made = true;
    }
    setMetadata(temp, ghost, (doing, errno) => fail(doing, errno));
    // the anchor must not be a writer: the kernel refuses a file open for writing as an executable
    // (PR_SET_MM_EXE_FILE); every open file of the ghost is reopened from an O_PATH anchor anyway
    if (anchor >= 0) {
      sys(nr.close, anchor);
      anchor = -1;
    }
    const target = cString(path);
    const moved = sys(nr.renameat2, AT_FDCWD, addressOf(name), AT_FDCWD, addressOf(target), RENAME_NOREPLACE);
    keepAlive(target);
    // the old name taken again since the dump: the ghost keeps its temporary one
    if (moved === 0) at = path;
    else if (moved !== -EEXIST) fail(`rename to ${path}`, -moved);
    const where = cString(at);
    if (anchor < 0) {
      anchor = sys(nr.openat, AT_FDCWD, addressOf(where), O_PATH | O_CLOEXEC, 0);
      if (anchor < 0) fail('open', -anchor);
    }
    const gone = sys(nr.unlinkat, AT_FDCWD, addressOf(where), type === S_IFDIR ? AT_REMOVEDIR : 0);
    keepAlive(where);
    if (gone < 0) fail('unlink', -gone);
    made = false;
    return anchor;
  } catch (error) {
    if (anchor >= 0) sys(nr.close, anchor);
    if (made) {
      const left = cString(at);
      sys(nr.unlinkat, AT_FDCWD, addressOf(left), type === S_IFDIR ? AT_REMOVEDIR : 0);
      keepAlive(left);
    }
    throw error;
  } finally {
    keepAlive(name);
    removeDirectories(parents);
  }
}

/** Makes the directories missing on the way to `path` (mode 0700), outermost first; returns them. */
function makeMissingParents(path: string): string[] {
  const missing: string[] = [];
  for (let dir = dirname(path); dir !== dirname(dir) && !existsSync(dir); dir = dirname(dir)) missing.unshift(dir);
  const made: string[] = [];
  for (const dir of missing) {
    const at = cString(dir);
    const r = sys(hostArch().syscalls.mkdirat, AT_FDCWD, addressOf(at), 0o700);
    keepAlive(at);
    if (r < 0) break;
    made.push(dir);
  }
  return made;
}

/** Removes directories makeMissingParents made, innermost first (one something else has filled stays). */
function removeDirectories(dirs: readonly string[]): void {
  for (const dir of [...dirs].reverse()) {
    const at = cString(dir);
    sys(hostArch().syscalls.unlinkat, AT_FDCWD, addressOf(at), AT_REMOVEDIR);
    keepAlive(at);
  }
}

/** The contents: whole after the head entry, or chunks {off, len} each followed by its bytes; then the size (holes stay holes). */
function fillGhost(fd: number, chunks: readonly { message: MessageValue; payload?: unknown }[], whole: Uint8Array | undefined, ghost: MessageValue, path: string): void {
  const write = (bytes: Uint8Array, offset: number) => {
    let done = 0;
    while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, offset + done);
  };
  try {
    if (!ghost.chunks) write(whole ?? new Uint8Array(0), 0);
    else for (const chunk of chunks) write(chunk.payload as Uint8Array, Number(chunk.message.off));
  } catch (e) {
    throw new RestoreFault('files', `cannot write the contents of the deleted file ${path} back: ${(e as Error).message}`);
  }
  if (ghost.size !== undefined) {
    const r = sys(hostArch().syscalls.ftruncate, fd, BigInt(ghost.size as bigint));
    if (r < 0) throw new RestoreFault('files', `cannot give the deleted file ${path} its size of ${ghost.size} bytes: errno ${-r}`);
  }
}

/** Owner, then mode (chown clears set-id bits), then times (last: writing the contents moved them). */
function setMetadata(path: string, ghost: MessageValue, fail: (doing: string, errno: number) => never): void {
  const nr = hostArch().syscalls;
  const name = cString(path);
  const chown = sys(nr.fchownat, AT_FDCWD, addressOf(name), Number(ghost.uid), Number(ghost.gid), AT_SYMLINK_NOFOLLOW);
  if (chown < 0) fail(`chown to ${ghost.uid}:${ghost.gid}`, -chown);
  const chmod = sys(nr.fchmodat, AT_FDCWD, addressOf(name), Number(ghost.mode) & 0o7777);
  if (chmod < 0) fail(`chmod to 0${(Number(ghost.mode) & 0o7777).toString(8)}`, -chmod);
  const times = kbuf(32);
  writeTimespec(times, 0, ghost.atim as MessageValue | undefined);
  writeTimespec(times, 16, ghost.mtim as MessageValue | undefined);
  const utimes = sys(nr.utimensat, AT_FDCWD, addressOf(name), addressOf(times), AT_SYMLINK_NOFOLLOW);
  keepAlive(name, times);
  if (utimes < 0) fail('set the times of', -utimes);
}

function writeTimespec(buf: Buffer, at: number, tv: MessageValue | undefined): void {
  if (!tv) {
    buf.writeBigInt64LE(0n, at);
    buf.writeBigInt64LE(BigInt(UTIME_OMIT), at + 8);
    return;
  }
  buf.writeBigInt64LE(BigInt(tv.tv_sec as bigint), at);
  buf.writeBigInt64LE(BigInt(tv.tv_usec as bigint) * 1000n, at + 8);
}
