/**
 * Everything a restore needs, read and checked before any process is created: a corrupt, truncated
 * or missing image stops the restore here, with nothing to undo.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { type Image, ImagesDir, type MessageValue, PAGE_SIZE, type PageRange } from '@criu-ts/images';
import { RestoreFault } from './restore-error.js';

export interface TaskPlan {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
  /** The main thread first. */
  readonly threads: readonly number[];
  /** core_entry of each thread, by tid. */
  readonly cores: ReadonlyMap<number, MessageValue>;
  readonly ids: MessageValue;
  readonly mm: MessageValue;
  readonly pagesFile: string;
  readonly pageRanges: readonly PageRange[];
  readonly fds: readonly MessageValue[];
  readonly fs: MessageValue;
}

export interface RestorePlan {
  readonly imagesDir: string;
  /** Parents before children. */
  readonly tasks: readonly TaskPlan[];
  /** file_entry by id. */
  readonly files: ReadonlyMap<number, MessageValue>;
  /** Unread pipe bytes by pipe id (the pipe's inode at dump time). */
  readonly pipeData: ReadonlyMap<number, Uint8Array>;
}

export function readRestorePlan(imagesDir: string): RestorePlan {
  const opened = ImagesDir.open(imagesDir);
  if (opened._tag === 'Left') throw new RestoreFault('images', `images directory ${imagesDir}: ${opened.left.message}`);
  const dir = opened.right;
  const read = (name: string): Image => {
    if (!dir.has(name)) throw new RestoreFault('images', `${join(imagesDir, name)} is missing`);
    const image = dir.read(name);
    if (image._tag === 'Left') throw new RestoreFault('images', image.left.message);
    return image.right;
  };
  const single = (name: string): MessageValue => {
    const image = read(name);
    if (image.entries.length !== 1) throw new RestoreFault('images', `${name}: expected one entry, found ${image.entries.length}`);
    return image.entries[0].message;
  };

  const inventory = single('inventory.img');
  if (Number(inventory.img_version) !== 2) throw new RestoreFault('images', `inventory.img: image version ${inventory.img_version} is not supported`);

  const files = new Map<number, MessageValue>();
  if (dir.has('files.img')) for (const { message } of read('files.img').entries) files.set(Number(message.id), message);
  const pipeData = new Map<number, Uint8Array>();
  if (dir.has('pipes-data.img')) {
    for (const entry of read('pipes-data.img').entries) pipeData.set(Number(entry.message.pipe_id), entry.payload as Uint8Array);
  }

  const tasks = read('pstree.img').entries.map(({ message: p }): TaskPlan => {
    const pid = Number(p.pid);
    const threads = ((p.threads as number[] | undefined) ?? [pid]).map(Number);
    if (threads[0] !== pid) throw new RestoreFault('images', `pstree.img: task ${pid} does not list itself as its first thread`, pid);
    const cores = new Map(threads.map((tid) => [tid, single(`core-${tid}.img`)]));
    const ids = single(`ids-${pid}.img`);
    const mm = single(`mm-${pid}.img`);
    const pagemap = dir.pagemap(`pagemap-${pid}.img`);
    if (pagemap._tag === 'Left') throw new RestoreFault('images', pagemap.left.message, pid);
    checkPagesFile(imagesDir, pagemap.right.pagesFile, pagemap.right.ranges, pid);
    const fds = read(`fdinfo-${Number(ids.files_id)}.img`).entries.map((e) => e.message);
    for (const fd of fds) {
      if (!files.has(Number(fd.id))) throw new RestoreFault('images', `fdinfo-${ids.files_id}.img: fd ${fd.fd} names file ${fd.id}, which files.img lacks`, pid);
    }
    return {
      pid,
      ppid: Number(p.ppid),
      pgid: Number(p.pgid),
      sid: Number(p.sid),
      threads,
      cores,
      ids,
      mm,
      pagesFile: pagemap.right.pagesFile,
      pageRanges: pagemap.right.ranges,
      fds,
      fs: single(`fs-${pid}.img`),
    };
  });
  if (tasks.length === 0) throw new RestoreFault('images', 'pstree.img has no task');
  return { imagesDir, tasks, files, pipeData };
}

function checkPagesFile(imagesDir: string, pagesFile: string, ranges: readonly PageRange[], pid: number): void {
  const needed = ranges.reduce((end, r) => (r.pagesOffset === undefined ? end : Math.max(end, r.pagesOffset + r.nrPages * PAGE_SIZE)), 0);
  if (needed === 0) return;
  let size = -1;
  try {
    size = statSync(join(imagesDir, pagesFile)).size;
  } catch {
    throw new RestoreFault('images', `${join(imagesDir, pagesFile)} is missing`, pid);
  }
  if (size < needed) throw new RestoreFault('images', `${pagesFile} holds ${size} bytes, pagemap-${pid}.img needs ${needed}`, pid);
}
