import { execFileSync } from 'node:child_process';

/** Every `#define __NR_x n` a UAPI header defines, with macro references resolved, via gcc's preprocessor. */
export function headerSyscalls(includeDir: string, header: string, defines: string[] = []): Record<string, number> {
  const out = execFileSync('gcc', ['-E', '-dM', '-nostdinc', '-I', includeDir, ...defines, '-'], { input: `#include <${header}>\n` }).toString();
  const defs = new Map<string, string>();
  for (const line of out.split('\n')) {
    const m = /^#define (\w+) (.*)$/.exec(line);
    if (m) defs.set(m[1], m[2].trim());
  }
  const resolve = (name: string, depth = 0): number | undefined => {
    const v = defs.get(name);
    if (v === undefined || depth > 10) return undefined;
    let bad = false;
    const expr = v.replace(/\b[A-Za-z_]\w*\b/g, (id) => {
      const r = resolve(id, depth + 1);
      if (r === undefined) bad = true;
      return String(r);
    });
    if (bad || !/^[\d\s+\-()xXa-fA-F]*$/.test(expr)) return undefined;
    return Function(`return (${expr})`)() as number;
  };
  const table: Record<string, number> = {};
  for (const k of defs.keys()) {
    if (!k.startsWith('__NR_') || k === '__NR_syscalls' || k.endsWith('SYSCALL_BASE') || k === '__NR_SYSCALL_MASK') continue;
    const v = resolve(k);
    if (typeof v === 'number' && Number.isInteger(v)) table[k.slice(5)] = v;
  }
  return table;
}

/**
 * Checks struct layouts with the compiler: `_Static_assert(offsetof...)` for every field we claim,
 * compiled (syntax only) against the given headers. Returns gcc's complaints, empty if all hold.
 */
export function checkLayouts(includes: string[], args: string[], asserts: { struct: string; field: string; offset: number }[], sizes: { struct: string; size: number }[], extra: string[] = []): string {
  const src = [
    ...includes.map((h) => `#include <${h}>`),
    ...asserts.map((a) => `_Static_assert(__builtin_offsetof(${a.struct}, ${a.field}) == ${a.offset}, "${a.struct}.${a.field} at ${a.offset}");`),
    ...sizes.map((s) => `_Static_assert(sizeof(${s.struct}) == ${s.size}, "sizeof ${s.struct} == ${s.size}");`),
    ...extra.map((e) => `_Static_assert(${e}, "${e.replace(/"/g, "'")}");`),
  ].join('\n');
  try {
    execFileSync('gcc', ['-fsyntax-only', '-x', 'c', ...args, '-'], { input: src, stdio: ['pipe', 'pipe', 'pipe'] });
    return '';
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e);
  }
}
