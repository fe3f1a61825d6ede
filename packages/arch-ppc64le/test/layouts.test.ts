import { describe, expect, it } from 'vitest';
import { ELF_NGREG, FPREGS_SIZE, ptRegsTail, VMX_SIZE, VSX_SIZE } from '../src/index.js';
import { checkLayouts } from './headers.js';

describe('ppc64 register set layouts match the Debian cross kernel headers', () => {
  it('pt_regs field offsets, ELF_NGREG and the FP/VMX/VSX regset sizes', () => {
    const errors = checkLayouts(
      ['asm/ptrace.h', 'asm/elf.h'],
      ['-nostdinc', '-I', '/usr/powerpc64le-linux-gnu/include', '-U__x86_64__', '-D__powerpc64__', '-D__powerpc__'],
      [{ struct: 'struct pt_regs', field: 'gpr', offset: 0 }, ...ptRegsTail.map((f, i) => ({ struct: 'struct pt_regs', field: f, offset: (32 + i) * 8 }))],
      [{ struct: 'struct pt_regs', size: (32 + ptRegsTail.length) * 8 }],
      [
        `ELF_NGREG == ${ELF_NGREG}`,
        `sizeof(elf_fpregset_t) == ${FPREGS_SIZE}`,
        `ELF_NVRREG * 16 == ${VMX_SIZE}`,
        `ELF_NVSRHALFREG * 8 == ${VSX_SIZE}`,
      ],
    );
    expect(errors).toBe('');
  });
});
