import { describe, expect, it } from 'vitest';
import { syscallsAarch64, syscallsArm } from '../src/index.js';
import { headerSyscalls } from './headers.js';

describe('arm syscall numbers match the Debian cross kernel headers', () => {
  it('aarch64 (asm/unistd.h, asm-generic table)', () => {
    const headers = headerSyscalls('/usr/aarch64-linux-gnu/include', 'asm/unistd.h', ['-D__aarch64__']);
    expect(Object.keys(headers).length).toBeGreaterThan(280);
    expect(headers.getpid).toBe(172);
    for (const [name, nr] of Object.entries(headers)) expect([name, (syscallsAarch64 as Record<string, number>)[name]]).toEqual([name, nr]);
  });
  it('arm EABI (asm/unistd.h)', () => {
    const headers = headerSyscalls('/usr/arm-linux-gnueabihf/include', 'asm/unistd.h', ['-D__ARM_EABI__']);
    expect(Object.keys(headers).length).toBeGreaterThan(380);
    expect(headers.getpid).toBe(20);
    for (const [name, nr] of Object.entries(headers)) expect([name, (syscallsArm as Record<string, number>)[name]]).toEqual([name, nr]);
  });
});
