import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { xcr0Of, xsaveComponents, xsaveLayoutFor } from '@criu-ts/arch-x86';
import { freezeTree, getThreadRegs, hostArch, thawTree } from '../src/index.js';
import { cleanup, compile, startDetached, stopAndCheck } from './helpers.js';

function right<A>(e: E.Either<{ message: string }, A>): A {
  if (E.isLeft(e)) throw new Error(e.left.message);
  return e.right;
}

/** CPUID leaf 0xD, sub-leaf i, through the cpuid driver: ebx is where component i sits in the standard format. */
function xsaveOffsetFromCpuid(component: number): number {
  const fd = openSync('/dev/cpu/0/cpuid', 'r');
  try {
    const regs = Buffer.alloc(16);
    readSync(fd, regs, 0, 16, 0xd + component * 2 ** 32);
    return regs.readUInt32LE(4);
  } finally {
    closeSync(fd);
  }
}

afterAll(async () => {
  expect(await cleanup()).toEqual([]);
});

describe('the XSAVE layout picked for this CPU', () => {
  it.skipIf(!existsSync('/dev/cpu/0/cpuid'))('puts every enabled component where CPUID says it is', async () => {
    const t = await startDetached(compile('tree4'), ['16']);
    const tree = right(freezeTree(t.pid));
    const xstate = right(getThreadRegs(t.pid, hostArch())).regsets.xstate;
    right(thawTree(tree));
    const xcr0 = xcr0Of(xstate);
    const layout = xsaveLayoutFor(xcr0, xstate.byteLength);
    let checked = 0;
    for (const c of xsaveComponents) {
      if (!(xcr0 & (1n << BigInt(c.bit)))) continue;
      expect([c.field, layout[c.bit]]).toEqual([c.field, xsaveOffsetFromCpuid(c.bit)]);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
    const result = await stopAndCheck(t);
    expect(result.selfcheck, result.failure).toBe('OK');
  });
});
