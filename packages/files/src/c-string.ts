import { kbuf } from '@criu-ts/ptrace';

/** A NUL-terminated copy of `text` that can be handed to the kernel by address (keep it alive across the call). */
export function cString(text: string): Buffer {
  const b = kbuf(Buffer.byteLength(text) + 1);
  b.write(text);
  return b;
}
