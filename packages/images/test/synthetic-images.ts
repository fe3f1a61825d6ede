/**
 * Random but valid images of every kind: messages filled from the schema's reflection, with the
 * length fields that announce a payload made to agree with it.
 */
import protobuf from 'protobufjs';
import { IMAGE_KINDS, type Image, type ImageEntry, messageType, type MessageValue, type Payload } from '../src/index.js';

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed from its seed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rnd: () => number, max: number) => Math.floor(rnd() * max);

function randomBytes(rnd: () => number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = int(rnd, 256);
  return bytes;
}

function scalar(rnd: () => number, field: protobuf.Field): unknown {
  const options = field.options ?? {};
  if (field.resolvedType instanceof protobuf.Enum) {
    const values = Object.values(field.resolvedType.values);
    return values[int(rnd, values.length)];
  }
  const big = () => (BigInt(int(rnd, 2 ** 32)) << 32n) | BigInt(int(rnd, 2 ** 32));
  switch (field.type) {
    case 'bool':
      return rnd() < 0.5;
    case 'string':
      return Array.from({ length: int(rnd, 12) }, () => String.fromCharCode(32 + int(rnd, 95))).join('') + (rnd() < 0.2 ? 'é→' : '');
    case 'bytes':
      return randomBytes(rnd, int(rnd, 100));
    case 'uint64':
    case 'fixed64':
      return rnd() < 0.5 ? BigInt(int(rnd, 1000)) : big();
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return BigInt.asIntN(64, big());
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return int(rnd, 2 ** 32) - 2 ** 31;
    default:
      // uint32, fixed32; an odev dev_t is 32 bits on the wire
      return options['(criu).dev'] ? int(rnd, 2 ** 32) : rnd() < 0.5 ? int(rnd, 1000) : int(rnd, 2 ** 32);
  }
}

/** A message of `type` with every required field, each optional one at random, 0-3 repeats. */
export function randomMessage(rnd: () => number, type: protobuf.Type, depth = 0): MessageValue {
  const out: MessageValue = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    const isMessage = field.resolvedType instanceof protobuf.Type;
    if (field.repeated) {
      if (depth > 3 && isMessage) continue;
      // crit shows an address field as one IPv4 word or four IPv6 words, nothing else
      const count = field.options?.['(criu).ipadd'] ? (rnd() < 0.5 ? 1 : 4) : int(rnd, 4);
      if (count === 0) continue;
      out[field.name] = Array.from({ length: count }, () =>
        isMessage ? randomMessage(rnd, field.resolvedType as protobuf.Type, depth + 1) : scalar(rnd, field),
      ) as MessageValue[];
    } else {
      if (!field.required && (rnd() < 0.4 || (isMessage && depth > 3))) continue;
      out[field.name] = (isMessage ? randomMessage(rnd, field.resolvedType as protobuf.Type, depth + 1) : scalar(rnd, field)) as MessageValue;
    }
  }
  return out;
}

/** An entry of `typeName` with a payload that agrees with its length fields. */
function randomEntry(rnd: () => number, magic: string, typeName: string, head: boolean): ImageEntry {
  const message = randomMessage(rnd, messageType(typeName));
  const kind = IMAGE_KINDS[magic];
  let payload: Payload | undefined;
  switch (kind.payload) {
    case 'pipe-data':
      payload = randomBytes(rnd, int(rnd, 300));
      message.bytes = payload.length;
      break;
    case 'sk-queue':
      payload = randomBytes(rnd, int(rnd, 300));
      message.length = payload.length;
      break;
    case 'tcp-queues': {
      const inq = randomBytes(rnd, int(rnd, 200));
      const outq = randomBytes(rnd, int(rnd, 200));
      message.inq_len = inq.length;
      message.outq_len = outq.length;
      payload = { inq, outq };
      break;
    }
    case 'bpfmap-data':
      payload = randomBytes(rnd, Number(message.keys_bytes = int(rnd, 50)) + Number(message.values_bytes = int(rnd, 50)));
      break;
    case 'ipc-shm':
      payload = randomBytes(rnd, int(rnd, 100));
      message.size = BigInt(payload.length);
      break;
    case 'ipc-sem':
      payload = Array.from({ length: int(rnd, 9) }, () => int(rnd, 65536));
      message.nsems = payload.length;
      break;
    case 'ipc-msg':
      payload = Array.from({ length: int(rnd, 3) }, () => {
        const data = randomBytes(rnd, int(rnd, 40));
        const header = randomMessage(rnd, messageType('ipc_msg'));
        header.msize = data.length;
        return { header, data };
      });
      message.qnum = payload.length;
      break;
  }
  if (kind.ghost && head && !message.chunks) {
    payload = randomBytes(rnd, int(rnd, 500));
    if (message.size !== undefined) message.size = BigInt(payload.length);
  }
  if (kind.ghost && !head) {
    payload = randomBytes(rnd, int(rnd, 200));
    message.len = BigInt(payload.length);
  }
  return payload === undefined ? { message, type: typeName } : { message, type: typeName, payload };
}

/** A random image of kind `magic` with 1-4 entries (just the head when a ghost file holds its data inline). */
export function randomImage(rnd: () => number, magic: string): Image {
  const kind = IMAGE_KINDS[magic];
  const count = 1 + int(rnd, 4);
  const entries: ImageEntry[] = [];
  for (let i = 0; i < count; i++) {
    const head = i === 0;
    entries.push(randomEntry(rnd, magic, head && kind.headMessage ? kind.headMessage : kind.message, head));
    if (kind.ghost && head && entries[0].payload !== undefined) break;
  }
  return { magic, entries };
}
