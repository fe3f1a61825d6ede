/**
 * What each image holds: the protobuf message of its entries, and the raw payload that follows
 * some entries. Image names are crit's (the magic's name).
 */

/** How an entry's raw payload is laid out after the message, if it has one. */
export type PayloadKind =
  | 'pipe-data' // `bytes` bytes of queued pipe or fifo data
  | 'sk-queue' // `length` bytes of one queued socket packet
  | 'tcp-queues' // `inq_len` bytes of the receive queue, then `outq_len` of the send queue
  | 'bpfmap-data' // `keys_bytes + values_bytes` bytes of map keys and values
  | 'ipc-shm' // `size` bytes of a SysV shared memory segment, padded to 4 bytes
  | 'ipc-sem' // `nsems` u16 semaphore values, padded to 8 bytes
  | 'ipc-msg'; // `qnum` (length-prefixed ipc_msg, msize bytes padded to 8) pairs

export interface ImageKind {
  /** The message of every entry (pagemap and ghost-file have a different first entry). */
  readonly message: string;
  /** The message of the first entry, where it differs. */
  readonly headMessage?: string;
  readonly payload?: PayloadKind;
  /** Ghost files: after the head, either the whole contents or chunk entries each followed by data. */
  readonly ghost?: true;
}

export const IMAGE_KINDS: Readonly<Record<string, ImageKind>> = {
  INVENTORY: { message: 'inventory_entry' },
  CORE: { message: 'core_entry' },
  IDS: { message: 'task_kobj_ids_entry' },
  CREDS: { message: 'creds_entry' },
  UTSNS: { message: 'utsns_entry' },
  TIMENS: { message: 'timens_entry' },
  PIDNS: { message: 'pidns_entry' },
  IPC_VAR: { message: 'ipc_var_entry' },
  FS: { message: 'fs_entry' },
  GHOST_FILE: { message: 'ghost_chunk_entry', headMessage: 'ghost_file_entry', ghost: true },
  MM: { message: 'mm_entry' },
  CGROUP: { message: 'cgroup_entry' },
  TCP_STREAM: { message: 'tcp_stream_entry', payload: 'tcp-queues' },
  STATS: { message: 'stats_entry' },
  PAGEMAP: { message: 'pagemap_entry', headMessage: 'pagemap_head' },
  PSTREE: { message: 'pstree_entry' },
  REG_FILES: { message: 'reg_file_entry' },
  NS_FILES: { message: 'ns_file_entry' },
  EVENTFD_FILE: { message: 'eventfd_file_entry' },
  EVENTPOLL_FILE: { message: 'eventpoll_file_entry' },
  EVENTPOLL_TFD: { message: 'eventpoll_tfd_entry' },
  SIGNALFD: { message: 'signalfd_entry' },
  TIMERFD: { message: 'timerfd_entry' },
  INOTIFY_FILE: { message: 'inotify_file_entry' },
  INOTIFY_WD: { message: 'inotify_wd_entry' },
  FANOTIFY_FILE: { message: 'fanotify_file_entry' },
  FANOTIFY_MARK: { message: 'fanotify_mark_entry' },
  VMAS: { message: 'vma_entry' },
  PIPES: { message: 'pipe_entry' },
  FIFO: { message: 'fifo_entry' },
  SIGACT: { message: 'sa_entry' },
  NETLINK_SK: { message: 'netlink_sk_entry' },
  REMAP_FPATH: { message: 'remap_file_path_entry' },
  MNTS: { message: 'mnt_entry' },
  TTY_FILES: { message: 'tty_file_entry' },
  TTY_INFO: { message: 'tty_info_entry' },
  TTY_DATA: { message: 'tty_data_entry' },
  RLIMIT: { message: 'rlimit_entry' },
  TUNFILE: { message: 'tunfile_entry' },
  EXT_FILES: { message: 'ext_file_entry' },
  IRMAP_CACHE: { message: 'irmap_cache_entry' },
  FILE_LOCKS: { message: 'file_lock_entry' },
  FDINFO: { message: 'fdinfo_entry' },
  UNIXSK: { message: 'unix_sk_entry' },
  INETSK: { message: 'inet_sk_entry' },
  PACKETSK: { message: 'packet_sock_entry' },
  ITIMERS: { message: 'itimer_entry' },
  POSIX_TIMERS: { message: 'posix_timer_entry' },
  NETDEV: { message: 'net_device_entry' },
  PIPES_DATA: { message: 'pipe_data_entry', payload: 'pipe-data' },
  FIFO_DATA: { message: 'pipe_data_entry', payload: 'pipe-data' },
  SK_QUEUES: { message: 'sk_packet_entry', payload: 'sk-queue' },
  IPCNS_SHM: { message: 'ipc_shm_entry', payload: 'ipc-shm' },
  IPCNS_SEM: { message: 'ipc_sem_entry', payload: 'ipc-sem' },
  IPCNS_MSG: { message: 'ipc_msg_entry', payload: 'ipc-msg' },
  NETNS: { message: 'netns_entry' },
  USERNS: { message: 'userns_entry' },
  SECCOMP: { message: 'seccomp_entry' },
  AUTOFS: { message: 'autofs_entry' },
  FILES: { message: 'file_entry' },
  CPUINFO: { message: 'cpuinfo_entry' },
  MEMFD_INODE: { message: 'memfd_inode_entry' },
  BPFMAP_FILE: { message: 'bpfmap_file_entry' },
  BPFMAP_DATA: { message: 'bpfmap_data_entry', payload: 'bpfmap-data' },
  APPARMOR: { message: 'apparmor_entry' },
  // crit has no handler for these three; they are read and written all the same.
  SIGNAL: { message: 'siginfo_entry' },
  PIDFD: { message: 'pidfd_entry' },
  BINFMT_MISC: { message: 'binfmt_misc_entry' },
};
