import type { MessageValue } from '@criu-ts/images';
import { addressOf, hostArch, keepAlive, sys } from '@criu-ts/ptrace';
import { RestoreFault, type RestorePlan } from '@criu-ts/subsystem';
import { makeGhost } from './ghost-file.js';
import { readKindImage } from './kind-image.js';
import { cString } from '../c-string.js';

const AT_FDCWD = -100;
const O_CLOEXEC = 0o2000000;
const O_PATH = 0o10000000;
const EEXIST = 17;
/** remap_file_path_entry.remap_type */
const LINKED = 0;
const GHOST = 1;
/** Before remap_type existed, a ghost's remap_id had this bit set. */
const REMAP_GHOST = 0x80000000;

interface Remap {
  readonly type: number;
  readonly id: number;
}

/**
 * The files that were deleted at dump time (remap-fpath.img): for a REG entry of one, our fd of the
 * file (an anchor, O_PATH or read-write), from which every open file description of it is reopened
 * through /proc/self/fd. A ghost is recreated once per ghost image and has no name at all once
 * made; a link remap (link_remap.<id>, made by the dump) is opened once and unlinked at the end of
 * a restore that succeeded (a failed one leaves it, so the images can be restored again).
 */
export class RemappedFiles {
  private remaps?: Map<number, Remap>;
  private readonly ghosts = new Map<number, number>();
  private readonly links = new Map<number, { anchor: number; name: string }>();
  private readonly ghostInodes = new Map<number, { dev: number; ino: bigint } | undefined>();

  /** Our anchor fd of the file REG entry `reg` names, or undefined if it was not deleted. */
  anchor(reg: MessageValue, plan: RestorePlan): number | undefined {
    const remap = this.remapsOf(plan).get(Number(reg.id));
    if (!remap) return undefined;
    const path = String(reg.name);
    if (remap.type === GHOST) {
      let fd = this.ghosts.get(remap.id);
      if (fd === undefined) {
        fd = makeGhost(plan.imagesDir, remap.id, path);
        this.ghosts.set(remap.id, fd);
      }
      return fd;
    }
    if (remap.type === LINKED) {
      let link = this.links.get(remap.id);
      if (!link) {
        const target = plan.files.get(remap.id)?.reg as MessageValue | undefined;
        if (!target) throw new RestoreFault('images', `remap-fpath.img: the deleted file ${path} is linked as file ${remap.id}, which files.img lacks`);
        link = { anchor: openLinked(String(target.name), path), name: String(target.name) };
        this.links.set(remap.id, link);
      }
      return link.anchor;
    }
    throw new RestoreFault('files', `the file ${path} was remapped as a file of a dead process (remap type ${remap.type}), which this restore does not handle`);
  }

  /**
   * Our anchor of the ghost of inode `ino` on the device whose kernel number is `sdev`, if the dump
   * saved that inode as a ghost (a deleted file a task still held): an inotify watch or a fanotify
   * mark on it belongs on the ghost, the file the restored tasks hold.
   */
  ghostOfInode(sdev: number, ino: bigint, plan: RestorePlan): number | undefined {
    for (const [origId, remap] of this.remapsOf(plan)) {
      if (remap.type !== GHOST) continue;
      const head = this.ghostInode(remap.id, plan);
      if (!head || head.ino !== ino || !sameDevice(head.dev, sdev)) continue;
      const reg = plan.files.get(origId)?.reg as MessageValue | undefined;
      return reg ? this.anchor(reg, plan) : undefined;
    }
    return undefined;
  }

  /** The device and inode ghost image `id` was saved from, read once. */
  private ghostInode(id: number, plan: RestorePlan): { dev: number; ino: bigint } | undefined {
    if (!this.ghostInodes.has(id)) {
      const head = readKindImage(plan.imagesDir, `ghost-file-${id.toString(16)}.img`)?.[0]?.message;
      this.ghostInodes.set(id, head ? { dev: Number(head.dev ?? 0), ino: BigInt((head.ino as bigint | undefined) ?? -1n) } : undefined);
    }
    return this.ghostInodes.get(id);
  }

  /** Closes the anchors; `restored`: the restore succeeded, and the link remaps are not needed any more. */
  close(restored: boolean): void {
    const nr = hostArch().syscalls;
    for (const fd of this.ghosts.values()) sys(nr.close, fd);
    this.ghosts.clear();
    for (const { anchor, name } of this.links.values()) {
      sys(nr.close, anchor);
      if (restored) {
        const path = cString(name);
        sys(nr.unlinkat, AT_FDCWD, addressOf(path), 0);
        keepAlive(path);
      }
    }
    this.links.clear();
  }

  private remapsOf(plan: RestorePlan): Map<number, Remap> {
    if (this.remaps) return this.remaps;
    this.remaps = new Map();
    for (const { message } of readKindImage(plan.imagesDir, 'remap-fpath.img') ?? []) {
      let id = Number(message.remap_id);
      let type = message.remap_type === undefined ? LINKED : Number(message.remap_type);
      if (message.remap_type === undefined && id & REMAP_GHOST) {
        id = (id & ~REMAP_GHOST) >>> 0;
        type = GHOST;
      }
      this.remaps.set(Number(message.orig_id), { type, id });
    }
    return this.remaps;
  }
}

/**
 * An anchor on a link remap. Opened through a second link at the file's old path when that name is
 * free (then unlinked), so that /proc shows the old name as it did at dump time.
 */
function openLinked(linkName: string, path: string): number {
  const nr = hostArch().syscalls;
  const from = cString(linkName);
  const to = cString(path);
  try {
    const linked = sys(nr.linkat, AT_FDCWD, addressOf(from), AT_FDCWD, addressOf(to), 0);
    if (linked < 0 && linked !== -EEXIST) throw new RestoreFault('files', `cannot link ${linkName} (the deleted file ${path}) back to its old name: errno ${-linked}`);
    const at = linked === 0 ? to : from;
    const fd = sys(nr.openat, AT_FDCWD, addressOf(at), O_PATH | O_CLOEXEC, 0);
    if (linked === 0) sys(nr.unlinkat, AT_FDCWD, addressOf(to), 0);
    if (fd < 0) throw new RestoreFault('files', `cannot open ${linkName}, the link remap of the deleted file ${path}: errno ${-fd}`);
    return fd;
  } finally {
    keepAlive(from, to);
  }
}

/**
 * Whether `userDev` (a ghost entry's dev: st_dev as stat shows it, cut to 32 bits) and `kernelDev`
 * (the kernel's internal form, 12 bits of major above 20 of minor) name one device.
 */
function sameDevice(userDev: number, kernelDev: number): boolean {
  const major = (userDev >>> 8) & 0xfff;
  const minor = (userDev & 0xff) | ((userDev >>> 12) & 0xfff00);
  return major === kernelDev >>> 20 && minor === (kernelDev & 0xfffff);
}
