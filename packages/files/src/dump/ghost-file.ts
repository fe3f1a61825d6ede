import { closeSync, openSync, readSync, type BigIntStats } from 'node:fs';
import type { ImageEntry, MessageValue } from '@criu-ts/images';
import { hostArch, sys } from '@criu-ts/ptrace';
import { refuse } from '@criu-ts/subsystem';

const S_IFMT = 0o170000n;
const S_IFREG = 0o100000n;
const SEEK_DATA = 3;
const SEEK_HOLE = 4;
const ENXIO = 6;
/** CRIU writes files this size and up as chunks (so holes stay holes) and smaller ones whole. */
const CHUNKS_FROM = 3 * 4096;

/**
 * The entries of ghost-file-<id>.img for a deleted file: a ghost_file_entry with its mode, owner,
 * size and times, then its contents, whole after the entry for a small file, or for a larger one
 * as ghost_chunk_entry {off, len} pieces each followed by its bytes (holes are left out). The
 * contents are read through `link` (/proc/PID/fd/N or map_files), which opens the deleted inode.
 */
export function ghostFileEntries(pid: number, link: string, name: string, st: BigIntStats): ImageEntry[] {
  const head: MessageValue = {
    uid: Number(st.uid),
    gid: Number(st.gid),
    mode: Number(st.mode),
    dev: Number(st.dev & 0xffffffffn),
    ino: st.ino,
    atim: timeval(st.atimeNs),
    mtim: timeval(st.mtimeNs),
  };
  if ((st.mode & S_IFMT) !== S_IFREG) return [{ message: head, type: 'ghost_file_entry' }];
  head.size = st.size;
  const size = Number(st.size);
  let fd: number;
  try {
    fd = openSync(link, 'r');
  } catch (e) {
    return refuse('ghost', pid, `cannot open the deleted file ${name} of task ${pid} (${link}) to save it: ${(e as Error).message}`);
  }
  try {
    if (size < CHUNKS_FROM) return [{ message: head, type: 'ghost_file_entry', payload: readRange(fd, 0, size, pid, name) }];
    head.chunks = true;
    const chunks = dataRanges(fd, size, pid, name).map(([off, len]): ImageEntry => ({
      message: { len: BigInt(len), off: BigInt(off) },
      type: 'ghost_chunk_entry',
      payload: readRange(fd, off, len, pid, name),
    }));
    return [{ message: head, type: 'ghost_file_entry' }, ...chunks];
  } finally {
    closeSync(fd);
  }
}

/** The [offset, length] runs of the file that hold data (SEEK_DATA/SEEK_HOLE; all of it where the fs cannot tell). */
function dataRanges(fd: number, size: number, pid: number, name: string): [number, number][] {
  const nr = hostArch().syscalls;
  const ranges: [number, number][] = [];
  let hole = 0;
  while (hole < size) {
    const data = sys(nr.lseek, fd, hole, SEEK_DATA);
    if (data === -ENXIO) break;
    if (data < 0) {
      if (hole === 0) return [[0, size]];
      return refuse('ghost', pid, `cannot find the data of the deleted file ${name} of task ${pid}: lseek errno ${-data}`);
    }
    hole = sys(nr.lseek, fd, data, SEEK_HOLE);
    if (hole < 0) return refuse('ghost', pid, `cannot find the holes of the deleted file ${name} of task ${pid}: lseek errno ${-hole}`);
    if (hole > size) hole = size;
    if (hole > data) ranges.push([data, hole - data]);
  }
  return ranges;
}

function readRange(fd: number, offset: number, length: number, pid: number, name: string): Uint8Array {
  const bytes = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, bytes, done, length - done, offset + done);
    if (n <= 0) return refuse('ghost', pid, `the deleted file ${name} of task ${pid} ended at ${offset + done} bytes while being saved (its size is ${length + offset})`);
    done += n;
  }
  return bytes;
}

function timeval(ns: bigint): MessageValue {
  return { tv_sec: ns / 1_000_000_000n, tv_usec: (ns % 1_000_000_000n) / 1000n };
}
