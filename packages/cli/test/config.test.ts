import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfigText } from '../src/config-file.js';
import { OptionError, parseOptions } from '../src/index.js';
import { removeDir } from './helpers.js';

/** A machine of its own: /etc/criu as `global`, a HOME with .criu/, and spare files. */
const root = mkdtempSync(join(tmpdir(), 'criu-config-'));
const global = join(root, 'etc-criu');
const home = join(root, 'home');
mkdirSync(global);
mkdirSync(join(home, '.criu'), { recursive: true });
const globalConf = join(global, 'default.conf');
const userConf = join(home, '.criu', 'default.conf');
const write = (path: string, text: string) => {
  writeFileSync(path, text);
  return path;
};

afterAll(() => removeDir(root));

describe('configuration file syntax', () => {
  it('one option per line without dashes, values after a space, # comments, quoted values', () => {
    const text = [
      '# a comment line',
      '',
      '   leave-running',
      'verbosity 4   # trailing comment',
      'images-dir "/var/lib/my images"',
      'log-file "say \\"hi\\".log"',
      'tree=77',
      '\ttimeout\t5',
    ].join('\n');
    expect(parseConfigText(text, 'f')).toEqual([
      '--leave-running', '--verbosity', '4', '--images-dir', '/var/lib/my images', '--log-file', 'say "hi".log', '--tree=77', '--timeout', '5',
    ]);
  });

  it("the file zdtm.py --criu-config writes (a blank first line, a space after every word)", () => {
    const text = '\nlog-file dump.log \nimages-dir dump/x/1 \nverbosity=4 \ntree 106 \npidfile /t/x.pid \ntimeout 10 \npre-dump-mode splice ';
    const file = write(join(root, 'zdtm.conf'), text);
    expect(parseOptions(['dump', '--no-default-config', '--config', file], { env: {}, globalDir: global })).toMatchObject({
      logFile: 'dump.log', imagesDir: 'dump/x/1', verbosity: 4, tree: 106, pidfile: '/t/x.pid', timeoutSeconds: 10, preDumpMode: 'splice',
    });
  });

  it('a line CRIU would not accept is an error naming the file and line', () => {
    expect(() => parseConfigText('tree 1\nimages-dir /a b\n', '/etc/x.conf')).toThrow("/etc/x.conf:2: one value per option; quote a value that has spaces ('/a b')");
    expect(() => parseConfigText('images-dir "/a\n', 'f')).toThrow('f:1: the quoted value has no closing quote');
    expect(() => parseConfigText('images-dir "/a" extra\n', 'f')).toThrow("f:1: one value per option; found 'extra' after the quoted value");
  });
});

describe('the configuration chain', () => {
  it('reads /etc/criu/default.conf, then ~/.criu/default.conf, then the command line, each overriding the one before', () => {
    write(globalConf, 'verbosity 1\nimages-dir /from-global\nleave-running\n');
    write(userConf, 'images-dir /from-user\ntimeout 7\n');
    const o = parseOptions(['dump', '-t', '5', '--timeout=9'], { env: { HOME: home }, globalDir: global });
    expect(o).toMatchObject({ verbosity: 1, imagesDir: '/from-user', timeoutSeconds: 9, finalState: 'alive', tree: 5, configFiles: [globalConf, userConf] });
  });

  it('--no-default-config reads neither default file', () => {
    write(globalConf, 'verbosity 1\n');
    write(userConf, 'timeout 7\n');
    const o = parseOptions(['check', '--no-default-config'], { env: { HOME: home }, globalDir: global });
    expect(o).toMatchObject({ verbosity: 2, configFiles: [] });
    expect(o.timeoutSeconds).toBeUndefined();
  });

  it('--config FILE (or --config=FILE) reads that file instead of the defaults; $CRIU_CONFIG_FILE comes before it', () => {
    write(globalConf, 'verbosity 1\n');
    const fromEnv = write(join(root, 'env.conf'), 'images-dir /from-env\nverbosity 3\n');
    const named = write(join(root, 'named.conf'), 'verbosity 4\n');
    const env = { HOME: home, CRIU_CONFIG_FILE: fromEnv };
    for (const args of [['check', '--config', named], ['check', `--config=${named}`]]) {
      expect(parseOptions(args, { env, globalDir: global })).toMatchObject({ verbosity: 4, imagesDir: '/from-env', configFiles: [fromEnv, named] });
    }
  });

  it('missing default files are fine; a missing file the user named is an error', () => {
    const none = join(root, 'nowhere');
    expect(parseOptions(['check'], { env: { HOME: none }, globalDir: none }).configFiles).toEqual([]);
    expect(() => parseOptions(['check', '--config', join(root, 'absent.conf')], { env: {}, globalDir: none })).toThrow(
      `configuration file ${join(root, 'absent.conf')}: no such file`,
    );
  });

  it('what a configuration file cannot hold is refused, naming the file', () => {
    const places = { env: {}, globalDir: global };
    write(globalConf, 'lazy-pages\n');
    expect(() => parseOptions(['dump'], places)).toThrow(`${globalConf}: option --lazy-pages is not supported by criu-ts yet`);
    write(globalConf, 'config /etc/other.conf\n');
    expect(() => parseOptions(['dump'], places)).toThrow(`${globalConf}: option --config can only be given on the command line`);
    write(globalConf, 'tree abc\n');
    expect(() => parseOptions(['dump'], places)).toThrow(`${globalConf}: option --tree needs a number above 0, not 'abc'`);
    write(globalConf, 'dump\n');
    expect(() => parseOptions(['dump'], places)).toThrow(OptionError);
  });

  it('--help is answered even with a broken configuration file', () => {
    write(globalConf, 'no-such-option\n');
    expect(parseOptions(['--help'], { env: {}, globalDir: global }).help).toBe(true);
  });
});
