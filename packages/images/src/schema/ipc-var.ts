import { message, optional, repeated, required, type SchemaFile } from './define.js';

/** An IPC namespace's sysctl knobs (CRIU `ipc-var.proto`). */
export const ipcVarSchema: SchemaFile = {
  ipc_var_entry: message({
    // kernel.sem: SEMMSL, SEMMNS, SEMOPM, SEMMNI
    sem_ctls: repeated(1, 'uint32'),
    msg_ctlmax: required(2, 'uint32'),
    msg_ctlmnb: required(3, 'uint32'),
    msg_ctlmni: required(4, 'uint32'),
    auto_msgmni: required(5, 'uint32'),
    shm_ctlmax: required(6, 'uint64'),
    shm_ctlall: required(7, 'uint64'),
    shm_ctlmni: required(8, 'uint32'),
    shm_rmid_forced: required(9, 'uint32'),
    mq_queues_max: required(10, 'uint32'),
    mq_msg_max: required(11, 'uint32'),
    mq_msgsize_max: required(12, 'uint32'),
    mq_msg_default: optional(13, 'uint32'),
    mq_msgsize_default: optional(14, 'uint32'),
    msg_next_id: optional(15, 'uint32'),
    sem_next_id: optional(16, 'uint32'),
    shm_next_id: optional(17, 'uint32'),
  }),
};
