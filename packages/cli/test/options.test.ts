import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OptionError, parseOptions } from '../src/index.js';
import { removeDir } from './helpers.js';

/** No default configuration files: an empty global directory and no HOME. */
const empty = mkdtempSync(join(tmpdir(), 'criu-options-'));
const places = { env: {}, globalDir: empty };
const parse = (...args: string[]) => parseOptions(args, places);
const refusal = (...args: string[]) => {
  try {
    parse(...args);
  } catch (error) {
    expect(error).toBeInstanceOf(OptionError);
    return (error as Error).message;
  }
  throw new Error(`${args.join(' ')} was accepted`);
};

afterAll(() => removeDir(empty));

describe("CRIU's command line, as zdtm.py writes it", () => {
  it('dump: every option zdtm.py passes is understood', () => {
    const o = parse('dump', '--no-default-config', '--log-file', 'dump.log', '--images-dir', 'dump/zdtm/static/env00/42/1', '--verbosity=4',
      '--tree', '42', '--pidfile', '/t/env00.pid', '--timeout', '10', '--pre-dump-mode', 'splice');
    expect(o).toMatchObject({
      command: 'dump', logFile: 'dump.log', imagesDir: 'dump/zdtm/static/env00/42/1', verbosity: 4, tree: 42, pidfile: '/t/env00.pid',
      timeoutSeconds: 10, preDumpMode: 'splice', finalState: 'dead', configFiles: [],
    });
  });

  it('restore: --restore-detached and --pidfile', () => {
    const o = parse('restore', '--no-default-config', '--log-file', 'restore.log', '--images-dir', 'd', '--verbosity=4', '--pidfile', '/t/x.pid', '--restore-detached');
    expect(o).toMatchObject({ command: 'restore', restoreDetached: true, pidfile: '/t/x.pid', verbosity: 4 });
  });

  it("check: zdtm.py's single-dash -verbosity=0 and --feature", () => {
    expect(parse('check', '--no-default-config', '-verbosity=0', '--feature', 'userns')).toMatchObject({ command: 'check', verbosity: 0, feature: 'userns' });
  });
});

describe('option forms', () => {
  it('--name=value and --name value mean the same', () => {
    expect(parse('dump', '--tree=7', '--images-dir=/a=b', '--log-file=x.log', '--timeout=3')).toMatchObject({ tree: 7, imagesDir: '/a=b', logFile: 'x.log', timeoutSeconds: 3 });
    expect(parse('dump', '--tree', '7', '--images-dir', '/a=b')).toMatchObject({ tree: 7, imagesDir: '/a=b' });
  });

  it('short options cluster and take their value attached or as the next word', () => {
    expect(parse('restore', '-dD', '/imgs', '-o', 'r.log')).toMatchObject({ restoreDetached: true, imagesDir: '/imgs', logFile: 'r.log' });
    expect(parse('dump', '-t1234', '-D/imgs', '-R')).toMatchObject({ tree: 1234, imagesDir: '/imgs', finalState: 'alive' });
    expect(parse('dump', '-Rt', '99')).toMatchObject({ tree: 99, finalState: 'alive' });
  });

  it('-v counts up from the default (2), -vN and --verbosity=N set it', () => {
    expect(parse('check').verbosity).toBe(2);
    expect(parse('check', '-v').verbosity).toBe(3);
    expect(parse('check', '-vv').verbosity).toBe(4);
    expect(parse('check', '-v0').verbosity).toBe(0);
    expect(parse('check', '--verbosity').verbosity).toBe(3);
    expect(parse('check', '--verbosity', '1').verbosity).toBe(1);
    expect(parse('check', '-Rv4').verbosity).toBe(4);
  });

  it('the last of -R and -s wins, as in CRIU', () => {
    expect(parse('dump', '-R', '-s').finalState).toBe('stopped');
    expect(parse('dump', '-s', '--leave-running').finalState).toBe('alive');
  });

  it('--no-restore-detached and --daemon, CRIU spellings of the same switch', () => {
    expect(parse('restore', '-d', '--no-restore-detached').restoreDetached).toBe(false);
    expect(parse('restore', '--daemon').restoreDetached).toBe(true);
  });

  it("the files part: --ghost-limit with CRIU's K/M/G sizes, --link-remap, -l, -j", () => {
    expect(parse('dump', '--ghost-limit=10M', '--link-remap', '-lj')).toMatchObject({ ghostLimit: 10 << 20, linkRemap: true, fileLocks: true, shellJob: true });
    expect(parse('dump', '--tcp-established')).toMatchObject({ tcpEstablished: true, networkLock: 'nftables' });
    for (const method of ['iptables', 'nftables', 'skip']) expect(parse('dump', '--network-lock', method).networkLock).toBe(method);
    expect(() => parse('dump', '--network-lock=ebtables')).toThrow("option --network-lock is 'iptables', 'nftables' or 'skip', not 'ebtables'");
    expect(parse('dump', '--ghost-limit', '4096').ghostLimit).toBe(4096);
    expect(parse('dump', '--ghost-limit', '2K').ghostLimit).toBe(2048);
    expect(parse('dump')).toMatchObject({ linkRemap: false, fileLocks: false, shellJob: false });
    expect(parse('dump').ghostLimit).toBeUndefined();
  });

  it('--external and --inherit-fd, repeatable, in their CRIU forms', () => {
    const dump = parse('dump', '--external', 'file[1f:3A]', '--external=tty[8800:16]');
    expect(dump.external).toEqual(['file[1f:3a]', 'tty[8800:16]']);
    const restore = parse('restore', '--inherit-fd', 'fd[3]:pipe:[1234]', '--inherit-fd=fd[4]:file[1f:3a]');
    expect([...restore.inheritFds]).toEqual([['pipe:[1234]', 3], ['file[1f:3a]', 4]]);
    expect(refusal('restore', '--inherit-fd', '3:pipe')).toBe("option --inherit-fd takes fd[N]:RESOURCE, not '3:pipe'");
  });

  it('-h and -V', () => {
    expect(parse('-h').help).toBe(true);
    expect(parse('--version').version).toBe(true);
  });
});

describe('what criu-ts refuses, by name', () => {
  it('a CRIU option criu-ts does not implement', () => {
    expect(refusal('dump', '-t', '1', '--external', 'mnt[/dev]:ZDTM_DEV')).toBe('option --external mnt[...] is not supported by criu-ts yet');
    expect(refusal('dump', '-t', '1', '-x')).toBe('option -x is not supported by criu-ts yet');
    expect(refusal('dump', '--tcp-close')).toBe('option --tcp-close is not supported by criu-ts yet');
    expect(refusal('restore', '--restore-sibling')).toBe('option --restore-sibling is not supported by criu-ts yet');
  });

  it('an option nobody knows', () => {
    expect(refusal('dump', '--frobnicate')).toBe('unknown option --frobnicate');
    expect(refusal('dump', '-Z')).toBe('unknown option -Z');
  });

  it('bad values', () => {
    expect(refusal('dump', '--tree', 'x')).toBe("option --tree needs a number above 0, not 'x'");
    expect(refusal('dump', '--tree=0')).toBe("option --tree needs a number above 0, not '0'");
    expect(refusal('dump', '--pre-dump-mode', 'mmap')).toBe("option --pre-dump-mode is 'splice' or 'read', not 'mmap'");
    expect(refusal('dump', '--ghost-limit', '1T')).toBe("option --ghost-limit needs a size (bytes, or a number with K, M or G), not '1T'");
    expect(refusal('dump', '--timeout')).toBe('option --timeout needs a value');
    expect(refusal('dump', '--leave-running=yes')).toBe('option --leave-running takes no value');
    expect(refusal('check', '-vx')).toBe("option -v takes a level (-v4) or more v's (-vvv), not 'x'");
    expect(refusal('dump', 'restore')).toBe("unexpected argument 'restore'");
  });
});
