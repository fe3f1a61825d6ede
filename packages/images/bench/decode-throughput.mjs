/**
 * Decode throughput of crit-ts on a large synthetic set of pagemap, core and fdinfo images, and,
 * where Debian's `crit` is installed, crit's time on the same files in the same run.
 *   npm run bench -w @criu-ts/images        (after `npx nx build images`)
 * BENCH_LARGE_RANGES sets the ranges of the one large pagemap (default 2M); 0 skips it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeImage, decodeImageToCritJson, encodeImage, formatJson, imageToCritJson, MAGIC_BY_NAME, IMG_COMMON_MAGIC } from '../dist/index.js';

const HERE = new URL('.', import.meta.url).pathname;
const CORPUS = resolve(HERE, '../../../../shared/criu-images');
const BIN = resolve(HERE, '../dist/crit/bin.cjs');
const LARGE_RANGES = Number(process.env.BENCH_LARGE_RANGES ?? 2_000_000);
const dir = mkdtempSync(join(tmpdir(), 'perf-crit-ts-bench-'));
const hasCrit = spawnSync('crit', ['--help']).status === 0;

function mustEncode(image) {
  const result = encodeImage(image);
  if (result._tag === 'Left') throw new Error(result.left.message);
  return result.right;
}

/**
 * A pagemap of `n` present ranges, framed by hand: encoding millions of entries through the
 * protobufjs writer would take longer than the bench itself.
 */
function pagemapBytes(n) {
  const chunks = [Buffer.from(new Uint32Array([IMG_COMMON_MAGIC, MAGIC_BY_NAME.PAGEMAP]).buffer), frame([0x08, 1])];
  for (let i = 0; i < n; i++) {
    const vaddr = 0x7f0000000000 + i * 0x3000;
    chunks.push(frame([0x08, ...varint(vaddr), 0x10, 0, 0x20, 4, 0x28, 1 + (i % 3)]));
  }
  return Buffer.concat(chunks);
}

function varint(value) {
  const out = [];
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
}

function frame(message) {
  const bytes = Buffer.alloc(4 + message.length);
  bytes.writeUInt32LE(message.length, 0);
  bytes.set(message, 4);
  return bytes;
}

/** A core image of `n` entries: the corpus's thread core again and again (crit decodes any count). */
function coresBytes(n) {
  const core = readFileSync(join(CORPUS, 'threads', 'core-15579.img'));
  const head = core.subarray(0, 8);
  return Buffer.concat([head, ...Array.from({ length: n }, () => core.subarray(8))]);
}

/** A pagemap of 400k ranges, an fdinfo of 200k fds, and a core image of 2,000 threads. */
function makeSet() {
  writeFileSync(join(dir, 'pagemap-1.img'), pagemapBytes(400_000));
  const fdinfo = [];
  for (let i = 0; i < 200_000; i++) fdinfo.push({ message: { id: i + 1, flags: i % 2, type: 1 + (i % 5), fd: i }, type: 'fdinfo_entry' });
  writeFileSync(join(dir, 'fdinfo-2.img'), mustEncode({ magic: 'FDINFO', entries: fdinfo }));
  writeFileSync(join(dir, 'core-1.img'), coresBytes(2_000));
  return ['pagemap-1.img', 'fdinfo-2.img', 'core-1.img'];
}

/** 20 single-thread core images: how long a tool takes to start shows here, not its decoding. */
function makeSmallCores() {
  const core = readFileSync(join(CORPUS, 'threads', 'core-15579.img'));
  return Array.from({ length: 20 }, (_, i) => {
    writeFileSync(join(dir, `core-${100 + i}.img`), core);
    return `core-${100 + i}.img`;
  });
}

function seconds(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** The best of `runs`: on a shared machine the fastest run is the one least disturbed. */
function best(runs, fn) {
  let min = Infinity;
  for (let i = 0; i < runs; i++) min = Math.min(min, seconds(fn));
  return min;
}

/**
 * Node loads the certificate file NODE_EXTRA_CA_CERTS names as it starts (0.04 s on this kind of
 * machine), though decoding never uses TLS: crit-ts runs without it, as on a machine without one.
 */
const critTsEnv = { ...process.env };
delete critTsEnv.NODE_EXTRA_CA_CERTS;
const OUT = join(dir, 'out.json');
const critTs = (file) => execFileSync(process.execPath, [BIN, 'decode', '--pretty', '-i', join(dir, file), '-o', OUT], { env: critTsEnv });
const crit = (file) => execFileSync('crit', ['decode', '--pretty', '-i', join(dir, file), '-o', OUT]);
const mbOf = (list) => list.reduce((sum, f) => sum + statSync(join(dir, f)).size, 0) / 1e6;

const files = makeSet();
const mb = mbOf(files);
const images = files.map((f) => [f, readFileSync(join(dir, f))]);
const smallCores = makeSmallCores();

/**
 * One file by both tools, interleaved so both see the same machine load. The output of the run
 * before is removed first: freeing its page cache is no part of decoding.
 */
function perFile(file, runs) {
  let ours = Infinity;
  let theirs = Infinity;
  for (let i = 0; i < runs; i++) {
    rmSync(OUT, { force: true });
    ours = Math.min(ours, seconds(() => critTs(file)));
    rmSync(OUT, { force: true });
    if (hasCrit) theirs = Math.min(theirs, seconds(() => crit(file)));
  }
  return { ours, theirs };
}

const rows = [];
const row = (label, list, runs) => {
  const times = list.map((f) => perFile(f, runs));
  const ours = times.reduce((sum, t) => sum + t.ours, 0);
  const theirs = times.reduce((sum, t) => sum + t.theirs, 0);
  rows.push({ label, mb: mbOf(list), ours, theirs });
};
row('pagemap, 400k ranges', ['pagemap-1.img'], 5);
row('fdinfo, 200k fds', ['fdinfo-2.img'], 5);
row('core, 2,000 threads', ['core-1.img'], 5);
const whole = { label: 'the whole set', ours: 0, theirs: 0, mb };
for (const r of rows) {
  whole.ours += r.ours;
  whole.theirs += r.theirs;
}
rows.push(whole);
row('20 small cores, one process each (start-up, not decoding)', smallCores, 2);
if (LARGE_RANGES > 0) {
  writeFileSync(join(dir, 'pagemap-large.img'), pagemapBytes(LARGE_RANGES));
  row(`pagemap, ${LARGE_RANGES / 1e6}M ranges`, ['pagemap-large.img'], 1);
}

console.log(`image set: ${files.length} files, ${mb.toFixed(1)} MB (pagemap 400k ranges, fdinfo 200k fds, core 2,000 threads)`);
console.log(hasCrit ? '\nCLI decode --pretty -i IN -o OUT, one process per file, crit-ts vs crit (wall time, best run):' : '\nCLI decode --pretty (crit is not installed: apt-get install criu for the ratio):');
if (process.env.NODE_EXTRA_CA_CERTS) console.log('  (crit-ts runs without NODE_EXTRA_CA_CERTS: Node would load that certificate file as it starts)');
for (const r of rows) {
  const ours = `crit-ts ${r.ours.toFixed(2)} s (${(r.mb / r.ours).toFixed(1)} MB/s)`;
  const theirs = hasCrit ? `, crit ${r.theirs.toFixed(2)} s: ${(r.theirs / r.ours).toFixed(1)}x` : '';
  console.log(`  ${r.label}: ${ours}${theirs}`);
}
/**
 * The library in this process, after the CLI runs: its heap grows large here, and the collector's
 * threads working on it would take the core the child processes' compiler thread runs on.
 */
const direct = best(3, () => {
  for (const [f, bytes] of images) {
    const text = decodeImageToCritJson(bytes, f, { pretty: true });
    if (text._tag === 'Left') throw new Error(text.left.message);
  }
});
const tree = best(2, () => {
  for (const [f, bytes] of images) {
    const decoded = decodeImage(bytes, f);
    if (decoded._tag === 'Left') throw new Error(decoded.left.message);
    formatJson(imageToCritJson(decoded.right, { pretty: true }), 4);
  }
});

console.log(`\nlibrary, decodeImageToCritJson --pretty: ${(mb / direct).toFixed(1)} MB/s (${direct.toFixed(2)} s)`);
console.log(`library, decodeImage + imageToCritJson + formatJson: ${(mb / tree).toFixed(1)} MB/s (${tree.toFixed(2)} s)`);

if (hasCrit) {
  const set = rows.find((r) => r === whole);
  console.log(`library vs crit on the set: ${(set.theirs / direct).toFixed(1)}x`);
}
rmSync(dir, { recursive: true, force: true });
