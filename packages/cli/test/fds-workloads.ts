import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FilesDumpOptions } from '@criu-ts/files';
import { expect } from 'vitest';
import { dump, restore } from '../src/index.js';
import { removeDir, sleep } from './helpers.js';

/** Plumbing shared by the fd tests (fds-*.test.ts): their workloads are in workloads/fds/. */

const sources = fileURLToPath(new URL('./workloads/fds/', import.meta.url));
const built = mkdtempSync(join(tmpdir(), 'fds-bin-'));
const dirs: string[] = [built];

export function compileFds(name: string): string {
  const out = join(built, name);
  if (!existsSync(out)) execFileSync('gcc', ['-O1', '-Wall', '-Wno-unused-result', '-o', out, join(sources, `${name}.c`)]);
  return out;
}

export function imagesDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fds-images-'));
  dirs.push(dir);
  return dir;
}

/** A directory of the test's own (under /dev/shm for tmpfs). */
export function scratchDir(parent = tmpdir()): string {
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(join(parent, 'fds-scratch-'));
  dirs.push(dir);
  return dir;
}

export function removeFdsDirs(): void {
  for (const dir of dirs.splice(0)) removeDir(dir);
}

export async function dumpOrThrow(pid: number, images: string, files?: FilesDumpOptions): Promise<void> {
  const result = await dump({ pid, imagesDir: images, files })();
  if (result._tag === 'Left') throw new Error(`dump failed: ${result.left.message}`);
}

/** The dump's error message; the test fails if the dump succeeds. */
export async function dumpError(pid: number, images: string, files?: FilesDumpOptions): Promise<string> {
  const result = await dump({ pid, imagesDir: images, files })();
  if (result._tag === 'Right') throw new Error('the dump succeeded');
  return result.left.message;
}

export async function restoreOrThrow(images: string): Promise<number> {
  const result = await restore({ imagesDir: images })();
  if (result._tag === 'Left') throw new Error(`restore failed: ${result.left.message}`);
  return result.right.rootPid;
}

/** The restore's error message; the test fails if the restore succeeds. */
export async function restoreError(images: string): Promise<string> {
  const result = await restore({ imagesDir: images })();
  if (result._tag === 'Right') throw new Error('the restore succeeded');
  return result.left.message;
}

export async function gone(pid: number, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (existsSync(`/proc/${pid}`)) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

/** The program's own verdict, with every field it checked in the failure message. */
export function expectOk(check: Record<string, string>): void {
  expect(check.status, JSON.stringify(check)).toBe('OK');
}

/**
 * `crit decode` (Debian's, upstream CRIU's decoder) of every image but the raw pages, in one
 * interpreter: the images that failed, with why.
 */
export function critDecodesAll(images: string): string[] {
  const names = readdirSync(images).filter((n) => !/^pages-\d+\.img$/.test(n) && (n.endsWith('.img') || n === 'stats-dump'));
  expect(names.length).toBeGreaterThan(0);
  const script = [
    'import sys',
    'from pycriu import cli',
    'for path in sys.argv[1:]:',
    '    try:',
    "        cli.decode({'in': path, 'out': '/dev/null', 'pretty': True, 'nopl': False})",
    '    except BaseException as e:',
    "        print('%s: %r' % (path, e))",
  ].join('\n');
  const out = execFileSync(critPython(), ['-c', script, ...names.map((n) => join(images, n))], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '');
}

/** One image as crit decodes it (JSON). */
export function critDecode(images: string, name: string): { entries: Record<string, unknown>[] } {
  return JSON.parse(execFileSync('crit', ['decode', '-i', join(images, name)], { encoding: 'utf8' }));
}

function critPython(): string {
  const crit = execFileSync('sh', ['-c', 'command -v crit'], { encoding: 'utf8' }).trim();
  return readFileSync(crit, 'utf8').split('\n')[0].slice(2).trim().split(' ')[0];
}
