/**
 * 32-bit ARM general registers as NT_PRSTATUS returns them: `struct pt_regs` { long uregs[18] }
 * (72 bytes): r0..r10, fp (r11), ip (r12), sp, lr, pc, cpsr, orig_r0.
 */
export const armRegNames = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'fp', 'ip', 'sp', 'lr', 'pc', 'cpsr', 'orig_r0'] as const;
export type ArmRegs = Record<(typeof armRegNames)[number], number>;
export const ARM_PT_REGS_SIZE = 18 * 4;

export function decodeArmRegs(raw: Uint8Array): ArmRegs {
  if (raw.byteLength !== ARM_PT_REGS_SIZE) throw new RangeError(`arm pt_regs is 72 bytes, got ${raw.byteLength}`);
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const r = {} as ArmRegs;
  armRegNames.forEach((n, i) => (r[n] = v.getUint32(i * 4, true)));
  return r;
}

export function encodeArmRegs(r: ArmRegs): Uint8Array {
  const out = new Uint8Array(ARM_PT_REGS_SIZE);
  const v = new DataView(out.buffer);
  armRegNames.forEach((n, i) => v.setUint32(i * 4, r[n] >>> 0, true));
  return out;
}
