import { message, required, type SchemaFile } from './define.js';

/** A SysV message queue (CRIU `ipc-msg.proto`); each ipc_msg is followed by its raw text. */
export const ipcMsgSchema: SchemaFile = {
  ipc_msg: message({
    mtype: required(1, 'uint64'),
    msize: required(2, 'uint32'),
  }),
  ipc_msg_entry: message({
    desc: required(1, 'ipc_desc_entry'),
    qbytes: required(2, 'uint32'),
    qnum: required(3, 'uint32'),
  }),
};
