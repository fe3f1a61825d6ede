import { message, optional, repeated, required, type SchemaFile } from './define.js';

/** An epoll instance and the descriptors it watches (CRIU `eventpoll.proto`). */
export const eventpollSchema: SchemaFile = {
  eventpoll_tfd_entry: message({
    id: required(1, 'uint32'),
    tfd: required(2, 'uint32'),
    events: required(3, 'uint32'),
    data: required(4, 'uint64'),
    // dev/inode/pos tell apart target files when tfd was dup'ed
    dev: optional(5, 'uint32'),
    inode: optional(6, 'uint64'),
    pos: optional(7, 'uint64'),
  }),
  eventpoll_file_entry: message({
    id: required(1, 'uint32'),
    flags: required(2, 'uint32'),
    fown: required(3, 'fown_entry'),
    tfd: repeated(4, 'eventpoll_tfd_entry'),
  }),
};
