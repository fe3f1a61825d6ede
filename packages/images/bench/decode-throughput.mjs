/**
 * Decode throughput of crit-ts on a large synthetic set of pagemap, core and fdinfo images, and,
 * where Debian's `crit` is installed, the ratio of crit's time to ours on the same files.
 *   npm run bench -w @criu-ts/images
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeImage, encodeImage, formatJson, imageToCritJson } from '../dist/index.js';

const CORPUS = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../../../../shared/criu-images');
const BIN = resolve(new URL('.', import.meta.url).pathname, '../dist/crit/bin.js');
const dir = mkdtempSync(join(tmpdir(), 'crit-ts-bench-'));

function mustEncode(image) {
  const result = encodeImage(image);
  if (result._tag === 'Left') throw new Error(result.left.message);
  return result.right;
}

/** A pagemap of `n` ranges, an fdinfo of `n` fds, and core images copied from the upstream corpus. */
function makeSet() {
  const files = [];
  const pagemap = [{ message: { pages_id: 1 }, type: 'pagemap_head' }];
  for (let i = 0; i < 400_000; i++) {
    pagemap.push({ message: { vaddr: 0x7f0000000000n + BigInt(i) * 0x3000n, compat_nr_pages: 0, flags: 4, nr_pages: 1 + (i % 3) }, type: 'pagemap_entry' });
  }
  writeFileSync(join(dir, 'pagemap-1.img'), mustEncode({ magic: 'PAGEMAP', entries: pagemap }));
  files.push('pagemap-1.img');
  const fdinfo = [];
  for (let i = 0; i < 200_000; i++) fdinfo.push({ message: { id: i + 1, flags: i % 2, type: 1 + (i % 5), fd: i }, type: 'fdinfo_entry' });
  writeFileSync(join(dir, 'fdinfo-2.img'), mustEncode({ magic: 'FDINFO', entries: fdinfo }));
  files.push('fdinfo-2.img');
  const core = readFileSync(join(CORPUS, 'threads', 'core-15579.img'));
  for (let i = 0; i < 20; i++) {
    writeFileSync(join(dir, `core-${100 + i}.img`), core);
    files.push(`core-${100 + i}.img`);
  }
  return files;
}

function seconds(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function best(runs, fn) {
  let min = Infinity;
  for (let i = 0; i < runs; i++) min = Math.min(min, seconds(fn));
  return min;
}

const files = makeSet();
const totalBytes = files.reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
const mb = totalBytes / 1e6;

const library = best(3, () => {
  for (const f of files) {
    const decoded = decodeImage(readFileSync(join(dir, f)), f);
    if (decoded._tag === 'Left') throw new Error(decoded.left.message);
    formatJson(imageToCritJson(decoded.right, { pretty: true }), 4);
  }
});
const ours = best(2, () => {
  for (const f of files) execFileSync(process.execPath, [BIN, 'decode', '--pretty', '-i', join(dir, f), '-o', join(dir, 'out.json')]);
});

console.log(`image set: ${files.length} files, ${mb.toFixed(1)} MB (pagemap 400k ranges, fdinfo 200k fds, 20 cores)`);
console.log(`crit-ts library decode --pretty: ${(mb / library).toFixed(1)} MB/s (${library.toFixed(2)} s)`);
console.log(`crit-ts CLI decode --pretty, one process per file: ${(mb / ours).toFixed(1)} MB/s (${ours.toFixed(2)} s)`);

if (spawnSync('crit', ['--help']).status === 0) {
  const theirs = best(1, () => {
    for (const f of files) execFileSync('crit', ['decode', '--pretty', '-i', join(dir, f), '-o', join(dir, 'out.json')]);
  });
  console.log(`crit decode --pretty, one process per file: ${(mb / theirs).toFixed(2)} MB/s (${theirs.toFixed(2)} s)`);
  console.log(`ratio, crit time / crit-ts time: ${(theirs / ours).toFixed(1)}x (CLI), ${(theirs / library).toFixed(1)}x (library)`);
} else {
  console.log('crit is not installed (apt-get install criu): no ratio');
}
rmSync(dir, { recursive: true, force: true });
