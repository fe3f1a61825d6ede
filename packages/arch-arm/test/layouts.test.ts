import { describe, expect, it } from 'vitest';
import { ARM_PT_REGS_SIZE, armRegNames, USER_FPSIMD_STATE_SIZE, USER_PT_REGS_SIZE } from '../src/index.js';
import { checkLayouts } from './headers.js';

describe('arm register set layouts match the Debian cross kernel headers', () => {
  it('aarch64 user_pt_regs and user_fpsimd_state', () => {
    const errors = checkLayouts(
      ['asm/ptrace.h'],
      ['-nostdinc', '-I', '/usr/aarch64-linux-gnu/include', '-U__x86_64__', '-D__aarch64__'],
      [
        { struct: 'struct user_pt_regs', field: 'regs', offset: 0 },
        { struct: 'struct user_pt_regs', field: 'sp', offset: 248 },
        { struct: 'struct user_pt_regs', field: 'pc', offset: 256 },
        { struct: 'struct user_pt_regs', field: 'pstate', offset: 264 },
        { struct: 'struct user_fpsimd_state', field: 'vregs', offset: 0 },
        { struct: 'struct user_fpsimd_state', field: 'fpsr', offset: 512 },
        { struct: 'struct user_fpsimd_state', field: 'fpcr', offset: 516 },
      ],
      [
        { struct: 'struct user_pt_regs', size: USER_PT_REGS_SIZE },
        { struct: 'struct user_fpsimd_state', size: USER_FPSIMD_STATE_SIZE },
      ],
    );
    expect(errors).toBe('');
  });
  it('arm pt_regs: our register names sit where the ARM_* accessors say (-m32)', () => {
    const macro = (n: string) => (n === 'orig_r0' ? 'ARM_ORIG_r0' : `ARM_${n}`);
    const errors = checkLayouts(
      ['asm/ptrace.h'],
      ['-m32', '-nostdinc', '-I', '/usr/arm-linux-gnueabihf/include', '-U__i386__', '-D__arm__', '-D__ARM_EABI__'],
      armRegNames.map((n, i) => ({ struct: 'struct pt_regs', field: macro(n), offset: i * 4 })),
      [{ struct: 'struct pt_regs', size: ARM_PT_REGS_SIZE }],
    );
    expect(errors).toBe('');
  });
});
