/**
 * The raw bytes some entries carry after their message: queued pipe and socket data, TCP
 * queues, SysV IPC contents, BPF map contents. How long each is comes from the message.
 */
import type { PayloadKind } from './image-kinds.js';
import type { MessageValue } from './message-values.js';

/** A SysV message queue's message: its ipc_msg header and its text. */
export interface IpcQueuedMessage {
  readonly header: MessageValue;
  readonly data: Uint8Array;
}

export type Payload =
  | Uint8Array // pipe-data, sk-queue, bpfmap-data, ipc-shm
  | { readonly inq: Uint8Array; readonly outq: Uint8Array } // tcp-queues
  | number[] // ipc-sem
  | IpcQueuedMessage[]; // ipc-msg

/** Pads a length up to a multiple of `to`, as CRIU pads SysV IPC payloads. */
export function roundUp(length: number, to: number): number {
  return Math.ceil(length / to) * to;
}

/** The payload's size in bytes as the message announces it (for ipc-msg: its count of messages). */
export function announcedPayloadSize(kind: PayloadKind, message: MessageValue): number {
  const n = (name: string) => Number(message[name] ?? 0);
  switch (kind) {
    case 'pipe-data':
      return n('bytes');
    case 'sk-queue':
      return n('length');
    case 'tcp-queues':
      return n('inq_len') + n('outq_len');
    case 'bpfmap-data':
      return n('keys_bytes') + n('values_bytes');
    case 'ipc-shm':
      return roundUp(n('size'), 4);
    case 'ipc-sem':
      return roundUp(2 * n('nsems'), 8);
    case 'ipc-msg':
      return n('qnum');
  }
}
