import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/** The built bin, as users run it. */
const BIN = resolve(__dirname, '../dist/crit/bin.cjs');
const CORPUS = resolve(__dirname, '../../../../shared/criu-images');
const DIRS = readdirSync(CORPUS, { withFileTypes: true })
  .filter((dir) => dir.isDirectory() && dir.name !== 'src')
  .map((dir) => dir.name);

function critTs(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'buffer', maxBuffer: 64 << 20 });
}

describe('crit-ts', () => {
  const work = mkdtempSync(join(tmpdir(), 'crit-ts-cli-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('the bin is built', () => {
    expect(existsSync(BIN)).toBe(true);
  });

  it('npx crit-ts runs it from the repository, as the README says (npm run build links it)', () => {
    const run = spawnSync('npx', ['--no-install', 'crit-ts', 'decode', '-i', join(CORPUS, 'threads', 'core-15579.img')], {
      cwd: resolve(__dirname, '../../..'),
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout).magic).toBe('CORE');
  });

  const explorations = DIRS.flatMap((dir) => ['ps', 'fds', 'mems', 'rss'].map((what) => [dir, what]));
  it.each(explorations)('x %s %s prints what crit x printed', (dir, what) => {
    const run = critTs('x', join(CORPUS, dir), what);
    expect(run.status).toBe(0);
    expect(run.stdout.toString()).toBe(readFileSync(join(CORPUS, dir, `crit-x-${what}.txt`), 'utf8'));
  });

  it('decode -i IN -o OUT --pretty, then encode -i -o, gives back every image', () => {
    const dir = 'files';
    for (const name of readdirSync(join(CORPUS, dir)).filter((n) => existsSync(join(CORPUS, dir, `${n}.json`)))) {
      const json = join(work, `${dir}-${name}.json`);
      const img = join(work, `${dir}-${name}`);
      expect(critTs('decode', '-i', join(CORPUS, dir, name), '-o', json, '--pretty').status).toBe(0);
      // written to a file, crit's JSON has no trailing newline
      expect(readFileSync(json, 'utf8') + '\n').toBe(readFileSync(join(CORPUS, dir, `${name}.json`), 'utf8'));
      expect(critTs('encode', '-i', json, '-o', img).status).toBe(0);
      expect(readFileSync(img).equals(readFileSync(join(CORPUS, dir, name)))).toBe(true);
    }
  });

  it('info counts the entries, without the pagemap head', () => {
    const pagemap = critTs('info', join(CORPUS, 'counter', 'pagemap-11199.img'));
    const entries = JSON.parse(readFileSync(join(CORPUS, 'counter', 'pagemap-11199.img.json'), 'utf8')).entries.length;
    expect(pagemap.stdout.toString()).toBe(`{\n    "magic": "PAGEMAP",\n    "count": ${entries - 1}\n}\n`);
    const fdinfo = critTs('info', join(CORPUS, 'files', 'fdinfo-2.img'));
    expect(JSON.parse(fdinfo.stdout.toString())).toEqual({ magic: 'FDINFO', count: 8 });
  });

  it('show --nopl replaces payloads by their size', () => {
    const run = critTs('show', join(CORPUS, 'files', 'pipes-data.img'), '--nopl');
    expect(run.status).toBe(0);
    expect(run.stdout.toString()).toContain('"extra": "... <11B>"');
  });

  it('a raw pages image is refused with one clear line', () => {
    const run = critTs('decode', '-i', join(CORPUS, 'threads', 'pages-1.img'));
    expect(run.status).toBe(1);
    expect(run.stderr.toString()).toMatch(/^crit-ts: threads\/pages-1\.img|^crit-ts: .*pages-1\.img: at offset 0: unknown magic 0x0 /);
    expect(run.stderr.toString().trim().split('\n')).toHaveLength(1);
  });

  it('decode -o of an image that turns out bad half-way leaves the output file as it was, and nothing beside it', () => {
    const image = readFileSync(join(CORPUS, 'counter', 'pagemap-11199.img'));
    const cut = join(work, 'cut-pagemap.img');
    writeFileSync(cut, image.subarray(0, image.length - 3));
    const out = join(work, 'kept.json');
    writeFileSync(out, 'what was there', { mode: 0o640 });
    const run = critTs('decode', '-i', cut, '-o', out, '--pretty');
    expect(run.status).toBe(1);
    expect(run.stderr.toString()).toMatch(/cut-pagemap\.img: entry \d+ at offset \d+/);
    expect(readFileSync(out, 'utf8')).toBe('what was there');
    expect(readdirSync(work).filter((name) => name.includes('kept.json'))).toEqual(['kept.json']);
    // a good image replaces it, keeping its mode
    expect(critTs('decode', '-i', join(CORPUS, 'counter', 'pagemap-11199.img'), '-o', out, '--pretty').status).toBe(0);
    expect(readFileSync(out, 'utf8') + '\n').toBe(readFileSync(join(CORPUS, 'counter', 'pagemap-11199.img.json'), 'utf8'));
    expect(statSync(out).mode & 0o777).toBe(0o640);
  });

  it('decode to stdout prints what decode -o writes, and a newline, also for text of many pieces; a bad image prints nothing', () => {
    // a pagemap of 30,000 ranges: some 4 MB of pretty text, several of crit-ts's 1 MiB pieces
    const corpus = readFileSync(join(CORPUS, 'counter', 'pagemap-11199.img'));
    const [head, entry] = [corpus.subarray(0, 8 + 4 + corpus.readUInt32LE(8)), pagemapEntry()];
    const big = join(work, 'big-pagemap.img');
    writeFileSync(big, Buffer.concat([head, ...Array.from({ length: 30_000 }, () => entry)]));
    const out = join(work, 'big.json');
    expect(critTs('decode', '-i', big, '-o', out, '--pretty').status).toBe(0);
    const printed = critTs('decode', '-i', big, '--pretty');
    expect(printed.status).toBe(0);
    expect(printed.stdout.length).toBeGreaterThan(3 << 20);
    expect(printed.stdout.equals(Buffer.concat([readFileSync(out), Buffer.from('\n')]))).toBe(true);
    // cut inside an entry far into the image: an error, and not a byte printed (crit decodes all
    // before it prints)
    const cut = join(work, 'big-cut.img');
    writeFileSync(cut, readFileSync(big).subarray(0, head.length + entry.length * 20_000 + 7));
    const bad = critTs('decode', '-i', cut, '--pretty');
    expect(bad.status).toBe(1);
    expect(bad.stdout.length).toBe(0);
  });

  it('decode to a pipe whose reader stops early ends quietly', () => {
    const run = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" decode --pretty -i "${join(CORPUS, 'threads', 'core-15579.img')}" | head -c 10`], { encoding: 'utf8' });
    expect(run.stdout).toBe('{\n    "mag');
    expect(run.stderr).toBe('');
  });

  it('an unknown command is a usage error', () => {
    const run = critTs('frobnicate');
    expect(run.status).toBe(2);
    expect(run.stderr.toString()).toContain("invalid choice: 'frobnicate'");
  });
});

/** One pagemap_entry, framed: a present range of 4 pages (vaddr, nr_pages, flags PE_PRESENT). */
function pagemapEntry(): Buffer {
  const message = Buffer.from([0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0xfe, 0x1f, 0x10, 0, 0x20, 4, 0x28, 4]);
  const frame = Buffer.alloc(4);
  frame.writeUInt32LE(message.length, 0);
  return Buffer.concat([frame, message]);
}
