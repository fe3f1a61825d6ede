import type { MessageValue } from '@criu-ts/images';

const FD_TYPES = { REG: 1, PIPE: 2, EVENTFD: 6, MEMFD: 18 } as const;

const NO_OWNER: MessageValue = { uid: 0, euid: 0, signum: 0, pid_type: 0, pid: 0 };

/**
 * The entries of files.img: every open file description the tree holds, and the files its mappings,
 * cwd, root and exe point at. Ids are handed out in the order things are met, as CRIU does (a task's
 * exe and mapped files, then its fds, then its cwd and root).
 */
export class FileTable {
  private readonly entries: MessageValue[] = [];
  private readonly mapped = new Map<string, number>();

  /** The files.img entries so far, in id order. */
  list(): readonly MessageValue[] {
    return this.entries;
  }

  private next(): number {
    return this.entries.length + 1;
  }

  /** A REG entry for a path opened only for this purpose (exe, cwd, root, mappings): flags 0, pos 0. */
  addPath(name: string, st: { mode: number; size: bigint; isFile: boolean }): number {
    return this.addReg({ name, flags: 0, pos: 0n, mode: st.mode, size: st.isFile ? st.size : undefined });
  }

  /**
   * The REG entry of a mapped file, one per file however many VMAs map it (keyed by device, inode
   * and path, so a file replaced on disk under the same name is not confused with the mapped one).
   */
  mappedFile(key: string, name: string, st: { mode: number; size: bigint; isFile: boolean }): number {
    const known = this.mapped.get(key);
    if (known !== undefined) return known;
    const id = this.addPath(name, st);
    this.mapped.set(key, id);
    return id;
  }

  addReg(f: { name: string; flags: number; pos: bigint; mode: number; size?: bigint }): number {
    const id = this.next();
    const reg: MessageValue = { id, flags: f.flags, pos: f.pos, fown: NO_OWNER, name: f.name };
    if (f.size !== undefined) reg.size = f.size;
    reg.mode = f.mode;
    this.entries.push({ type: FD_TYPES.REG, id, reg });
    return id;
  }

  /** A MEMFD entry: a memfd (or shared anonymous memory, which CRIU dumps the same way) whose inode is memfd.img's `inodeId`. */
  addMemfd(f: { inodeId: number; flags: number }): number {
    const id = this.next();
    this.entries.push({ type: FD_TYPES.MEMFD, id, memfd: { id, flags: f.flags, pos: 0n, fown: NO_OWNER, inode_id: f.inodeId } });
    return id;
  }

  addPipe(f: { pipeId: number; flags: number }): number {
    const id = this.next();
    this.entries.push({ type: FD_TYPES.PIPE, id, pipe: { id, pipe_id: f.pipeId, flags: f.flags, fown: NO_OWNER } });
    return id;
  }

  addEventfd(f: { flags: number; counter: bigint }): number {
    const id = this.next();
    this.entries.push({ type: FD_TYPES.EVENTFD, id, efd: { id, flags: f.flags, fown: NO_OWNER, counter: f.counter } });
    return id;
  }
}

export { FD_TYPES };
