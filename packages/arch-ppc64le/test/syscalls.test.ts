import { describe, expect, it } from 'vitest';
import { syscallsPpc64 } from '../src/index.js';
import { headerSyscalls } from './headers.js';

describe('ppc64 syscall numbers match the Debian cross kernel headers', () => {
  it('asm/unistd.h with __powerpc64__', () => {
    const headers = headerSyscalls('/usr/powerpc64le-linux-gnu/include', 'asm/unistd.h', ['-D__powerpc64__']);
    expect(Object.keys(headers).length).toBeGreaterThan(380);
    expect(headers.getpid).toBe(20);
    for (const [name, nr] of Object.entries(headers)) expect([name, (syscallsPpc64 as Record<string, number>)[name]]).toEqual([name, nr]);
  });
});
