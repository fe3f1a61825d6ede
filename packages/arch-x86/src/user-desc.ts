/**
 * The three GDT TLS slots of a thread (`struct user_desc`, 16 bytes each) as NT_386_TLS returns them.
 * 64-bit code keeps its TLS in fs_base/gs_base; these matter for ia32 tasks (set_thread_area).
 */
export const GDT_ENTRY_TLS_ENTRIES = 3;
export const USER_DESC_SIZE = 16;

/** CRIU's user_desc_t, field for field. */
export interface UserDesc {
  entry_number: number;
  base_addr: number;
  limit: number;
  seg_32bit: boolean;
  contents_h: boolean;
  contents_l: boolean;
  read_exec_only: boolean;
  limit_in_pages: boolean;
  seg_not_present: boolean;
  usable: boolean;
}

export function decodeUserDescs(raw: Uint8Array): UserDesc[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out: UserDesc[] = [];
  for (let off = 0; off + USER_DESC_SIZE <= raw.byteLength; off += USER_DESC_SIZE) {
    const bits = view.getUint32(off + 12, true);
    out.push({
      entry_number: view.getUint32(off, true),
      base_addr: view.getUint32(off + 4, true),
      limit: view.getUint32(off + 8, true),
      seg_32bit: !!(bits & 1),
      contents_h: !!(bits & 4),
      contents_l: !!(bits & 2),
      read_exec_only: !!(bits & 8),
      limit_in_pages: !!(bits & 16),
      seg_not_present: !!(bits & 32),
      usable: !!(bits & 64),
    });
  }
  return out;
}

export function encodeUserDescs(descs: readonly UserDesc[]): Uint8Array {
  const out = new Uint8Array(descs.length * USER_DESC_SIZE);
  const view = new DataView(out.buffer);
  descs.forEach((d, i) => {
    const off = i * USER_DESC_SIZE;
    view.setUint32(off, d.entry_number >>> 0, true);
    view.setUint32(off + 4, d.base_addr >>> 0, true);
    view.setUint32(off + 8, d.limit >>> 0, true);
    const bits = (+d.seg_32bit) | (+d.contents_l << 1) | (+d.contents_h << 2) | (+d.read_exec_only << 3) |
      (+d.limit_in_pages << 4) | (+d.seg_not_present << 5) | (+d.usable << 6);
    view.setUint32(off + 12, bits, true);
  });
  return out;
}
