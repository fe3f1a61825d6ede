import { describe, expect, it } from 'vitest';
import { syscallsIa32, syscallsX86_64 } from '../src/index.js';
import { headerSyscalls } from './headers.js';

describe('x86 syscall numbers match the kernel headers', () => {
  it('x86-64 (asm/unistd_64.h)', () => {
    const headers = headerSyscalls('/usr/include/x86_64-linux-gnu', 'asm/unistd_64.h');
    expect(Object.keys(headers).length).toBeGreaterThan(300);
    for (const [name, nr] of Object.entries(headers)) expect([name, (syscallsX86_64 as Record<string, number>)[name]]).toEqual([name, nr]);
  });
  it('ia32 (asm/unistd_32.h)', () => {
    const headers = headerSyscalls('/usr/include/x86_64-linux-gnu', 'asm/unistd_32.h');
    for (const [name, nr] of Object.entries(headers)) expect([name, (syscallsIa32 as Record<string, number>)[name]]).toEqual([name, nr]);
  });
});
