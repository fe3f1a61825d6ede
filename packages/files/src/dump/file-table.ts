import type { MessageValue } from '@criu-ts/images';

/** files.img fd types (fdinfo.proto's fd_types). */
const FD_TYPES = {
  REG: 1, PIPE: 2, FIFO: 3, INETSK: 4, UNIXSK: 5, EVENTFD: 6, EVENTPOLL: 7, INOTIFY: 8, SIGNALFD: 9, PACKETSK: 10, TTY: 11,
  FANOTIFY: 12, NETLINKSK: 13, NS: 14, TUNF: 15, EXT: 16, TIMERFD: 17, MEMFD: 18, BPFMAP: 19, PIDFD: 20,
} as const;

/** The fown of a file nobody asked SIGIO for. */
export const NO_OWNER: MessageValue = { uid: 0, euid: 0, signum: 0, pid_type: 0, pid: 0 };

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
  /** The id of the mapped file `key`, if it has one yet. */
  mappedId(key: string): number | undefined {
    return this.mapped.get(key);
  }

  mappedFile(key: string, name: string, st: { mode: number; size: bigint; isFile: boolean }): number {
    const known = this.mapped.get(key);
    if (known !== undefined) return known;
    const id = this.addPath(name, st);
    this.mapped.set(key, id);
    return id;
  }

  addReg(f: { name: string; flags: number; pos: bigint; mode: number; size?: bigint; fown?: MessageValue }): number {
    return this.add(FD_TYPES.REG, 'reg', (id) => {
      const reg: MessageValue = { id, flags: f.flags, pos: f.pos, fown: f.fown ?? NO_OWNER, name: f.name };
      if (f.size !== undefined) reg.size = f.size;
      reg.mode = f.mode;
      return reg;
    });
  }

  /** A MEMFD entry: a memfd (or shared anonymous memory, which CRIU dumps the same way) whose inode is memfd.img's `inodeId`. */
  addMemfd(f: { inodeId: number; flags: number; pos?: bigint }): number {
    return this.add(FD_TYPES.MEMFD, 'memfd', (id) => ({ id, flags: f.flags, pos: f.pos ?? 0n, fown: NO_OWNER, inode_id: f.inodeId }));
  }

  /**
   * An entry of fd type `type` whose `field` member is the message `build` makes for the new id.
   * The entry's place is taken before `build` runs, so entries `build` adds itself (a FIFO's path,
   * a link remap) get the ids after it.
   */
  add(type: number, field: string, build: (id: number) => MessageValue): number {
    const id = this.next();
    const entry: MessageValue = { type, id };
    this.entries.push(entry);
    entry[field] = build(id);
    return id;
  }
}

export { FD_TYPES };
