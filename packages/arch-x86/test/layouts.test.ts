import { describe, expect, it } from 'vitest';
import { FXSAVE_SIZE, USER_REGS32_SIZE, USER_REGS64_SIZE, userRegs32Names, userRegs64Names } from '../src/index.js';
import { checkLayouts } from './headers.js';

describe('x86 register set layouts match the C structs', () => {
  it('user_regs_struct (64-bit) and user_fpregs_struct', () => {
    const asserts: { struct: string; field: string; offset: number }[] = userRegs64Names.map((f, i) => ({ struct: 'struct user_regs_struct', field: f, offset: i * 8 }));
    const fp = [['cwd', 0], ['swd', 2], ['ftw', 4], ['fop', 6], ['rip', 8], ['rdp', 16], ['mxcsr', 24], ['mxcr_mask', 28], ['st_space', 32], ['xmm_space', 160], ['padding', 416]] as const;
    asserts.push(...fp.map(([field, offset]) => ({ struct: 'struct user_fpregs_struct', field, offset })));
    const errors = checkLayouts(['sys/user.h'], [], asserts, [
      { struct: 'struct user_regs_struct', size: USER_REGS64_SIZE },
      { struct: 'struct user_fpregs_struct', size: FXSAVE_SIZE },
    ]);
    expect(errors).toBe('');
  });
  it('user_regs_struct32 of an ia32 task has the i386 UAPI pt_regs layout (-m32)', () => {
    const asserts = userRegs32Names.map((f, i) => ({ struct: 'struct pt_regs', field: f, offset: i * 4 }));
    const errors = checkLayouts(['asm/ptrace.h'], ['-m32', '-nostdinc', '-I', '/usr/include/x86_64-linux-gnu', '-I', '/usr/include'], asserts, [
      { struct: 'struct pt_regs', size: USER_REGS32_SIZE },
    ]);
    expect(errors).toBe('');
  });
});
