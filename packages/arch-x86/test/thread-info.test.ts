import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeUserRegs, encodeUserRegs, fromThreadInfo, restartSyscall, syscallInsnFor, syscallRegs, syscallResult, syscallsFor, toThreadInfo, USER_REGS32_SIZE, USER_REGS64_SIZE,
  XCR0_OFFSET, xsaveLayouts, type UserRegs,
} from '../src/index.js';

function xstateWith(xcr0: bigint, size: number, fill: Uint8Array): Uint8Array {
  const x = new Uint8Array(size);
  x.set(fill.subarray(0, size));
  new DataView(x.buffer).setBigUint64(XCR0_OFFSET, xcr0, true);
  // Reserved header bytes past xstate_bv stay zero (the kernel hands them out zeroed).
  x.fill(0, 520, 576);
  return x;
}

describe('x86 thread_info conversion', () => {
  it('round-trips 64-bit registers, FXSAVE and every XSAVE layout we know byte for byte', () => {
    const cases = [
      { xcr0: 0x7n, size: 832 }, // x87|SSE|AVX
      { xcr0: 0x207n, size: 2440 }, // AMD with PKRU (measured on the development machine)
      { xcr0: 0x2e7n, size: 2696 }, // Intel AVX-512 + PKRU
      { xcr0: 0xe7n, size: 2688 }, // Intel AVX-512, no PKRU
    ];
    for (const { xcr0, size } of cases) {
      fc.assert(
        fc.property(fc.uint8Array({ minLength: 4096, maxLength: 4096 }), (fill) => {
          const gpregs = fill.slice(0, USER_REGS64_SIZE);
          const xstate = xstateWith(xcr0, size, fill);
          const ti = toThreadInfo({ gpregs, regsets: { xstate, fpregs: xstate.slice(0, 512), tls: fill.slice(100, 148) }, clearTidAddr: 0x1234n });
          const back = fromThreadInfo(ti, { xstateSize: size });
          expect(Buffer.from(back.gpregs)).toEqual(Buffer.from(gpregs));
          expect(Buffer.from(back.regsets.fpregs)).toEqual(Buffer.from(xstate.slice(0, 512)));
          const again = toThreadInfo({ gpregs: back.gpregs, regsets: back.regsets, clearTidAddr: back.clearTidAddr });
          expect(again).toEqual(ti);
          expect(back.clearTidAddr).toBe(0x1234n);
        }),
        { numRuns: 20 },
      );
    }
    expect(Object.keys(xsaveLayouts)).toEqual(['intel', 'amd']);
  });

  it('keeps the image field names and kinds CRIU uses', () => {
    const gpregs = new Uint8Array(USER_REGS64_SIZE);
    const xstate = xstateWith(0x7n, 832, new Uint8Array(832));
    const ti = toThreadInfo({ gpregs, regsets: { xstate }, clearTidAddr: 0n });
    expect(Object.keys(ti.gpregs)).toEqual(['r15', 'r14', 'r13', 'r12', 'bp', 'bx', 'r11', 'r10', 'r9', 'r8', 'ax', 'cx', 'dx', 'si', 'di', 'orig_ax', 'ip', 'cs', 'flags', 'sp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs', 'mode']);
    expect(typeof ti.gpregs.ax).toBe('bigint');
    expect(typeof ti.fpregs.mxcsr).toBe('number');
    expect(ti.fpregs.st_space).toHaveLength(32);
    expect(ti.fpregs.xmm_space).toHaveLength(64);
    expect(ti.fpregs.padding).toHaveLength(24);
    expect(ti.fpregs.xsave?.ymmh_space).toHaveLength(64);
  });

  it('round-trips an ia32 (compat) register set as mode COMPAT', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: USER_REGS32_SIZE, maxLength: USER_REGS32_SIZE }), (gpregs) => {
        const ti = toThreadInfo({ gpregs, regsets: { fpregs: new Uint8Array(512) }, clearTidAddr: 0n });
        expect(ti.gpregs.mode).toBe(2);
        expect(Buffer.from(fromThreadInfo(ti).gpregs)).toEqual(Buffer.from(gpregs));
      }),
    );
  });
});

describe('x86 syscall ABI', () => {
  const regs64 = (r: Partial<Record<string, bigint>>) => {
    const base = decodeUserRegs(new Uint8Array(USER_REGS64_SIZE)) as UserRegs & Record<string, bigint>;
    return encodeUserRegs({ ...base, ...r } as UserRegs);
  };

  it('puts nr and arguments where the kernel reads them and disables restart', () => {
    const out = decodeUserRegs(syscallRegs(regs64({ eflags: 0x746n }), 0x1000n, 9, [1n, 2n, 3n, 4n, 5n, 6n]));
    expect(out).toMatchObject({ rax: 9n, rdi: 1n, rsi: 2n, rdx: 3n, r10: 4n, r8: 5n, r9: 6n, rip: 0x1000n, orig_rax: 2n ** 64n - 1n, eflags: 0x246n });
    expect(syscallResult(regs64({ rax: 2n ** 64n - 9n }))).toBe(-9n);
  });

  it('uses int 0x80, ebx.. and ia32 numbers for a compat task, and reads 32-bit results as unsigned except errors', () => {
    const compat = new Uint8Array(USER_REGS32_SIZE);
    expect([...syscallInsnFor(compat)]).toEqual([0xcd, 0x80]);
    expect(syscallsFor(compat).getpid).toBe(20);
    expect(syscallsFor(new Uint8Array(USER_REGS64_SIZE)).getpid).toBe(39);
    const out = decodeUserRegs(syscallRegs(compat, 0x1000n, 192, [1n, 2n, 3n, 4n, 5n, 6n]));
    expect(out).toMatchObject({ mode: 'compat', eax: 192n, ebx: 1n, ecx: 2n, edx: 3n, esi: 4n, edi: 5n, ebp: 6n, eip: 0x1000n, orig_eax: 0xffffffffn });
    const withEax = (eax: bigint) => encodeUserRegs({ ...(decodeUserRegs(compat) as UserRegs & { mode: 'compat' }), eax });
    expect(syscallResult(withEax(0xf7f00000n))).toBe(0xf7f00000n);
    expect(syscallResult(withEax(0xfffffff2n))).toBe(-14n);
  });

  it('rewinds -ERESTARTSYS/NOINTR/NOHAND and turns a restart_block restart into -EINTR', () => {
    for (const code of [512n, 513n, 514n]) {
      const out = decodeUserRegs(restartSyscall(regs64({ rax: 2n ** 64n - code, orig_rax: 7n, rip: 0x5002n })));
      expect(out).toMatchObject({ rax: 7n, rip: 0x5000n });
    }
    expect(decodeUserRegs(restartSyscall(regs64({ rax: 2n ** 64n - 516n, orig_rax: 230n, rip: 0x5002n })))).toMatchObject({ rax: 2n ** 64n - 4n, rip: 0x5002n });
    // Not in a syscall (orig_rax = -1): untouched, whatever rax holds.
    const raw = regs64({ rax: 2n ** 64n - 512n, orig_rax: 2n ** 64n - 1n, rip: 0x5002n });
    expect(restartSyscall(raw)).toBe(raw);
  });
});
