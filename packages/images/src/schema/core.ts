import { enumeration, message, optional, repeated, required, type SchemaFile } from './define.js';

/** The per-thread core image (CRIU `core.proto`): task, thread and arch-specific register state. */
export const coreSchema: SchemaFile = {
  // numbered as the kernel's SECCOMP_MODE_* constants
  seccomp_mode: enumeration({
    disabled: 0,
    strict: 1,
    filter: 2,
  }),
  task_core_entry: message({
    task_state: required(1, 'uint32', { dict: 'gen' }),
    exit_code: required(2, 'uint32'),
    personality: required(3, 'uint32'),
    flags: required(4, 'uint32'),
    blk_sigset: required(5, 'uint64', { hex: true }),
    comm: required(6, 'string'),
    timers: optional(7, 'task_timers_entry'),
    rlimits: optional(8, 'task_rlimits_entry'),
    // superseded by thread_core_entry.cg_set; read only from older images
    cg_set: optional(9, 'uint32'),
    signals_s: optional(10, 'signal_queue_entry'),
    // superseded by the per-thread seccomp fields of thread_core_entry
    old_seccomp_mode: optional(11, 'seccomp_mode'),
    old_seccomp_filter: optional(12, 'uint32'),
    loginuid: optional(13, 'uint32'),
    oom_score_adj: optional(14, 'int32'),
    sigactions: repeated(15, 'sa_entry'),
    // 16, 17 and 19 are reserved upstream and never written
    child_subreaper: optional(18, 'bool'),
    blk_sigset_extended: optional(20, 'uint64', { hex: true }),
    stop_signo: optional(21, 'uint32'),
    membarrier_registration_mask: optional(22, 'uint32', { hex: true }),
  }),
  // ids of the kernel objects a task shares with others, to rebuild the sharing on restore
  task_kobj_ids_entry: message({
    vm_id: required(1, 'uint32'),
    files_id: required(2, 'uint32'),
    fs_id: required(3, 'uint32'),
    sighand_id: required(4, 'uint32'),
    pid_ns_id: optional(5, 'uint32'),
    net_ns_id: optional(6, 'uint32'),
    ipc_ns_id: optional(7, 'uint32'),
    uts_ns_id: optional(8, 'uint32'),
    mnt_ns_id: optional(9, 'uint32'),
    user_ns_id: optional(10, 'uint32'),
    cgroup_ns_id: optional(11, 'uint32'),
    time_ns_id: optional(12, 'uint32'),
  }),
  thread_sas_entry: message({
    ss_sp: required(1, 'uint64'),
    ss_size: required(2, 'uint64'),
    ss_flags: required(3, 'uint32'),
  }),
  thread_core_entry: message({
    futex_rla: required(1, 'uint64'),
    futex_rla_len: required(2, 'uint32'),
    sched_nice: optional(3, 'sint32'),
    sched_policy: optional(4, 'uint32'),
    sched_prio: optional(5, 'uint32'),
    blk_sigset: optional(6, 'uint64'),
    sas: optional(7, 'thread_sas_entry'),
    pdeath_sig: optional(8, 'uint32'),
    signals_p: optional(9, 'signal_queue_entry'),
    creds: optional(10, 'creds_entry'),
    seccomp_mode: optional(11, 'seccomp_mode'),
    seccomp_filter: optional(12, 'uint32'),
    comm: optional(13, 'string'),
    blk_sigset_extended: optional(14, 'uint64'),
    rseq_entry: optional(15, 'rseq_entry'),
    cg_set: optional(16, 'uint32'),
    // criu-ts's own fields, numbered far above upstream's: CRIU keeps neither the CPU affinity nor the
    // timer slack, and a protobuf reader skips fields it does not know, so CRIU still reads the image
    cpu_affinity: repeated(1001, 'uint64', { hex: true }),
    timer_slack_ns: optional(1002, 'uint64'),
  }),
  task_rlimits_entry: message({
    rlimits: repeated(1, 'rlimit_entry'),
  }),
  // only the thread_info field matching mtype is set
  core_entry: message(
    {
      mtype: required(1, 'march'),
      thread_info: optional(2, 'thread_info_x86'),
      ti_arm: optional(6, 'thread_info_arm'),
      ti_aarch64: optional(8, 'thread_info_aarch64'),
      ti_ppc64: optional(9, 'thread_info_ppc64'),
      ti_s390: optional(10, 'thread_info_s390'),
      ti_mips: optional(11, 'thread_info_mips'),
      ti_loongarch64: optional(12, 'thread_info_loongarch64'),
      ti_riscv64: optional(13, 'thread_info_riscv64'),
      tc: optional(3, 'task_core_entry'),
      ids: optional(4, 'task_kobj_ids_entry'),
      thread_core: optional(5, 'thread_core_entry'),
    },
    {
      march: enumeration({
        UNKNOWN: 0,
        X86_64: 1,
        ARM: 2,
        AARCH64: 3,
        PPC64: 4,
        S390: 5,
        MIPS: 6,
        LOONGARCH64: 7,
        RISCV64: 8,
      }),
    },
  ),
};
