import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ImagesDir, PAGE_SIZE } from '@criu-ts/images';
import { cleanup, compile, removeBuildDir, removeDir, selfCheck, sleep, startDetached } from './helpers.js';

/**
 * The criu-ts command as CRIU's test driver, zdtm.py, runs it: the same words, the same files it
 * reads back afterwards (the log, the pidfile, stats-dump and stats-restore), the same exit codes.
 */

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const dirs: string[] = [];
let stateCheck: string;

function criuTs(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

async function gone(pid: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (existsSync(`/proc/${pid}`) && Date.now() < deadline) await sleep(10);
}

/** The one stats_entry of a stats image, decoded by our own reader (and accepted by CRIU's crit). */
function stats(dir: string, name: string): Record<string, any> {
  const image = ImagesDir.open(dir);
  if (image._tag === 'Left') throw new Error(image.left.message);
  const read = image.right.read(name);
  if (read._tag === 'Left') throw new Error(read.left.message);
  expect(spawnSync('crit', ['decode', '-i', join(dir, name), '-o', '/dev/null']).status).toBe(0);
  expect(read.right.entries).toHaveLength(1);
  return read.right.entries[0].message as Record<string, any>;
}

/** zdtm.py's page count: the pages images' total size, in pages. */
function pagesInImages(dir: string): number {
  const bytes = readdirSync(dir).filter((n) => n.startsWith('pages-')).reduce((sum, n) => sum + statSync(join(dir, n)).size, 0);
  expect(bytes % PAGE_SIZE).toBe(0);
  return bytes / PAGE_SIZE;
}

beforeAll(() => {
  stateCheck = compile('state-check');
});
afterEach(async () => {
  expect(await cleanup()).toEqual([]);
});
afterAll(() => {
  for (const dir of dirs) removeDir(dir);
  removeBuildDir();
});

describe('check --feature, as zdtm.py asks before running a test', () => {
  it('a feature criu-ts uses and this kernel has: "NAME is supported", exit 0', () => {
    for (const feature of ['clone3_set_tid', 'pagemap_scan']) {
      const r = criuTs('check', '--no-default-config', '-verbosity=0', '--feature', feature);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(`${feature} is supported\n`);
    }
  });

  it('a CRIU feature criu-ts lacks: exit 1, and why', () => {
    const r = criuTs('check', '--no-default-config', '-verbosity=0', '--feature', 'userns');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('criu-ts: userns is not supported by criu-ts: user namespaces are not dumped yet\n');
  });

  it('npx @criu-ts/cli runs it from the repository, as the README says (npm run build links it)', () => {
    const r = spawnSync('npx', ['--no-install', '@criu-ts/cli', 'check', '--feature', 'pagemap_scan'], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('pagemap_scan is supported\n');
  });

  it('a name that is no CRIU feature: exit 1', () => {
    const r = criuTs('check', '--feature=no_such_thing');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^criu-ts: Unknown feature no_such_thing \(CRIU's features: aio_remap, /);
  });
});

describe('exit codes and errors', () => {
  it('a bad command line: exit 1, the option named', () => {
    const r = criuTs('dump', '--no-default-config', '--tree', '1', '--lazy-pages');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('criu-ts: option --lazy-pages is not supported by criu-ts yet\nTry -h|--help for more info\n');
    expect(criuTs('pre-dump', '-t', '1').stderr).toBe("criu-ts: command 'pre-dump' is not supported by criu-ts yet\n");
    expect(criuTs('--no-default-config').stderr).toContain('command is required');
  });

  it('a failed dump: exit 1, and the log file has the error', () => {
    const images = tempDir('zdtm-cli-');
    const r = criuTs('dump', '--no-default-config', '-o', 'dump.log', '-D', images, '-t', '999999999');
    expect(r.status).toBe(1);
    expect(readFileSync(join(images, 'dump.log'), 'utf8')).toMatch(/Error: dump failed/);
  });
});

describe("dump and restore with zdtm.py's command lines", () => {
  it('the program comes back; the log, pidfile and both stats images are what zdtm.py reads', async () => {
    const t = await startDetached(stateCheck);
    const images = tempDir('zdtm-cli-');
    const pidfile = join(tempDir('zdtm-cli-pid-'), 'state-check.pid');
    const common = ['--no-default-config', '--images-dir', images, '--verbosity=4', '--pidfile', pidfile];

    const dumped = criuTs('dump', ...common, '--log-file', 'dump.log', '--tree', String(t.pid), '--timeout', '10', '--pre-dump-mode', 'splice');
    expect(dumped.status, dumped.stderr).toBe(0);
    await gone(t.pid);
    expect(existsSync(pidfile)).toBe(false);
    expect(readFileSync(join(images, 'dump.log'), 'utf8')).toContain('dump step finish');
    const dump = stats(images, 'stats-dump').dump;
    const pages = pagesInImages(images);
    expect(pages).toBeGreaterThan(16384); // its 64 MiB heap
    expect(Number(dump.pages_written) + Number(dump.shpages_written)).toBe(pages);

    // a pidfile is created, never overwritten: an old one stops the restore before it starts
    writeFileSync(pidfile, 'stale');
    const refused = criuTs('restore', ...common, '--log-file', 'restore.log', '--restore-detached');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toBe(`criu-ts: pidfile ${pidfile} exists already\n`);
    expect(existsSync(`/proc/${t.pid}`)).toBe(false);

    unlinkSync(pidfile);
    const restored = criuTs('restore', ...common, '--log-file', 'restore.log', '--restore-detached');
    expect(restored.status, restored.stderr).toBe(0);
    expect(readFileSync(pidfile, 'utf8')).toBe(String(t.pid));
    expect(statSync(pidfile).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(images, 'restore.log'), 'utf8')).toContain(`restored: root PID ${t.pid}`);
    const restore = stats(images, 'stats-restore').restore;
    expect(Number(restore.pages_restored)).toBe(pages);
    expect(restore.forking_time).toBeGreaterThan(0);
    expect(restore.restore_time).toBeGreaterThanOrEqual(restore.forking_time);
    expect(restore).toMatchObject({ pages_compared: 0n, pages_skipped_cow: 0n });

    const check = await selfCheck(t);
    expect(check.status, JSON.stringify(check)).toBe('OK');
  });
});
