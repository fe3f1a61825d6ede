import { statSync, type BigIntStats } from 'node:fs';
import type { MessageValue } from '@criu-ts/images';
import { refuse } from '@criu-ts/subsystem';
import type { KindImage } from './fd-dumper.js';
import { FD_TYPES, type FileTable, NO_OWNER } from './file-table.js';
import type { FilesDumpOptions } from './files-dump-options.js';
import { ghostFileEntries } from './ghost-file.js';
import { linkBack, type LinkRemap, linkRemapName } from './link-remap.js';

const DELETED = ' (deleted)';
const S_IFMT = 0o170000n;
const S_IFREG = 0o100000n;
const S_IFDIR = 0o040000n;
const S_IFIFO = 0o010000n;
/** CRIU's default --ghost-limit. */
export const DEFAULT_GHOST_LIMIT = 1 << 20;
/** remap_file_path_entry.remap_type */
const LINKED = 0;
const GHOST = 1;

/** A file that was open (or mapped) under a name that is gone, and how restore finds it again. */
export interface DeletedFile {
  /** The name it was opened under, " (deleted)" cut off. */
  readonly path: string;
  /** ghost: no name left (nlink 0), its contents go into the images; linked: it keeps other names, and gets one more. */
  readonly how: 'ghost' | 'linked';
}

/**
 * The deleted files of one dump and remap-fpath.img, which tells restore where each REG entry of a
 * deleted file is found: a ghost file (ghost-file-<id>.img, one per inode) recreated from the images,
 * or a link remap (a REG entry named link_remap.<id>, linked back to the inode at the end of the
 * dump). The kernel links an inode again only while it has a name somewhere, so a file with none is
 * a ghost even with --link-remap (as in CRIU).
 */
export class DeletedFiles {
  private readonly remaps: MessageValue[] = [];
  private readonly ghosts = new Map<string, number>();
  private readonly ghostImages: KindImage[] = [];
  private readonly links = new Map<string, { id: number; remap: LinkRemap }>();
  private linked = false;

  constructor(private readonly options: FilesDumpOptions) {}

  /**
   * Whether `target` (how /proc names a file of task `pid`, `what` being "fd 3" or "the mapping at
   * ...") is a deleted file, refusing one that cannot be dumped. Reads /proc and the file system only.
   */
  find(pid: number, what: string, target: string, st: BigIntStats): DeletedFile | undefined {
    if (!target.endsWith(DELETED) || sameFile(target, st)) return undefined;
    const path = target.slice(0, -DELETED.length);
    if (st.nlink > 0n) {
      if (!this.options.linkRemap) refuse('fds', pid, `${what} of task ${pid} is ${path}, which was deleted but is still linked elsewhere: dump it with --link-remap`);
      return { path, how: 'linked' };
    }
    const type = st.mode & S_IFMT;
    if (type !== S_IFREG && type !== S_IFDIR && type !== S_IFIFO) refuse('fds', pid, `${what} of task ${pid} is the deleted ${typeName(type)} ${path}, which cannot be dumped yet`);
    const limit = BigInt(this.options.ghostLimit ?? DEFAULT_GHOST_LIMIT);
    // the blocks, not the size, as CRIU counts: holes are not saved
    const stored = st.blocks * 512n;
    if (type === S_IFREG && stored > limit) {
      refuse('ghost', pid, `${what} of task ${pid} is the deleted file ${path} of ${stored} bytes, more than the ghost limit of ${limit} bytes (raise it with --ghost-limit)`);
    }
    return { path, how: 'ghost' };
  }

  /**
   * Records how REG entry `id`, the deleted `file` reached through `link` (/proc/PID/fd/N or
   * map_files), is found at restore. A ghost's contents are read now, while the task is frozen.
   */
  remap(id: number, file: DeletedFile, pid: number, link: string, st: BigIntStats, table: FileTable): void {
    const inode = `${st.dev}:${st.ino}`;
    if (file.how === 'ghost') {
      let ghost = this.ghosts.get(inode);
      if (ghost === undefined) {
        ghost = this.ghosts.size + 1;
        this.ghosts.set(inode, ghost);
        this.ghostImages.push({ name: `ghost-file-${ghost.toString(16)}.img`, magic: 'GHOST_FILE', entries: ghostFileEntries(pid, link, file.path, st) });
      }
      this.remaps.push({ orig_id: id, remap_id: ghost, remap_type: GHOST });
      return;
    }
    let known = this.links.get(inode);
    if (!known) {
      const remap = (name: string): LinkRemap => ({ pid, link, path: file.path, name });
      let made: LinkRemap | undefined;
      const linkId = table.add(FD_TYPES.REG, 'reg', (linkId) => {
        made = remap(linkRemapName(file.path, linkId));
        return { id: linkId, flags: 0, pos: 0n, fown: NO_OWNER, name: made.name };
      });
      known = { id: linkId, remap: made! };
      this.links.set(inode, known);
    }
    this.remaps.push({ orig_id: id, remap_id: known.id, remap_type: LINKED });
  }

  /**
   * remap-fpath.img and the ghost files. The link remaps are made here, the last thing before the
   * images are written, so that a dump failing earlier leaves no new name behind.
   */
  images(): KindImage[] {
    if (this.remaps.length === 0) return [];
    if (!this.linked) {
      linkBack([...this.links.values()].map((l) => l.remap));
      this.linked = true;
    }
    const remaps = this.remaps.map((message) => ({ message, type: 'remap_file_path_entry' }));
    return [{ name: 'remap-fpath.img', magic: 'REMAP_FPATH', entries: remaps }, ...this.ghostImages];
  }
}

/** A file whose own name ends in " (deleted)" is no deleted file: its path still leads to it. */
function sameFile(target: string, st: BigIntStats): boolean {
  try {
    const now = statSync(target, { bigint: true });
    return now.dev === st.dev && now.ino === st.ino;
  } catch {
    return false;
  }
}

function typeName(type: bigint): string {
  if (type === 0o020000n) return 'character device';
  if (type === 0o060000n) return 'block device';
  if (type === 0o140000n) return 'socket';
  if (type === 0o120000n) return 'symlink';
  return 'special file';
}
