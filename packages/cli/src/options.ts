/**
 * CRIU's command line: the same option names, forms and meanings, so a CRIU user's habits, scripts
 * and configuration files (and CRIU's own test driver, zdtm.py) carry over. Long options take their
 * value as `--name value` or `--name=value`; short ones cluster (`-dR`) and take a value attached or
 * as the next word (`-t1234`, `-t 1234`). An option criu-ts does not implement is an error naming
 * it, never silently ignored.
 */
import { NETWORK_LOCK_METHODS, type NetworkLockMethod } from '@criu-ts/files';
import { configFiles, type ConfigPlaces, readConfigFile } from './config-file.js';
import { OptionError } from './option-error.js';

export { OptionError } from './option-error.js';

/** How a dumped tree is left: killed (CRIU's default), running on (-R) or stopped (-s). */
export type FinalState = 'dead' | 'alive' | 'stopped';

export interface CliOptions {
  command?: string;
  imagesDir?: string;
  workDir?: string;
  logFile?: string;
  /** 0 messages only, 1 errors, 2 warnings (default), 3 info, 4 debug. */
  verbosity: number;
  tree?: number;
  /** -R and -s each set it; the last one given wins, as in CRIU. */
  finalState: FinalState;
  restoreDetached: boolean;
  pidfile?: string;
  timeoutSeconds?: number;
  /** check --feature NAME: one CRIU feature name. */
  feature?: string;
  /** Only pre-dump reads it (CRIU's dump and restore do not); kept to validate it. */
  preDumpMode: 'splice' | 'read';
  /** --ghost-limit: the largest deleted-but-open file copied into the images, bytes. */
  ghostLimit?: number;
  /** --link-remap: a deleted file still linked elsewhere is linked back instead of refused. */
  linkRemap: boolean;
  /** -l|--file-locks: held file locks are dumped and taken again on restore. */
  fileLocks: boolean;
  /** --tcp-established: established TCP connections are dumped and restored (TCP repair). */
  tcpEstablished: boolean;
  /** --network-lock iptables|nftables|skip: how dumped connections are kept quiet (default nftables). */
  networkLock: NetworkLockMethod;
  /** -j|--shell-job: the tree may be part of a session, and use a terminal, from outside it. */
  shellJob: boolean;
  /** --inherit-fd fd[N]:RESOURCE (repeatable): our fd N stands in for RESOURCE on restore. */
  inheritFds: Map<string, number>;
  /** --external file[MNT_ID:INODE] | tty[RDEV:DEV] (repeatable): resources handed back on restore. */
  external: string[];
  /** The configuration files that were read, in order. */
  configFiles: string[];
  help: boolean;
  version: boolean;
}

/** Where the default configuration files are; tests point these at their own directories. */
export const DEFAULT_CONFIG_PLACES: ConfigPlaces = { env: process.env, globalDir: '/etc/criu' };

/** Parses the configuration files the command line asks for, then the command line over them. */
export function parseOptions(args: readonly string[], places: ConfigPlaces = DEFAULT_CONFIG_PLACES): CliOptions {
  const options: CliOptions = {
    verbosity: 2,
    finalState: 'dead',
    restoreDetached: false,
    preDumpMode: 'splice',
    linkRemap: false,
    fileLocks: false,
    tcpEstablished: false,
    networkLock: 'nftables',
    shellJob: false,
    inheritFds: new Map(),
    external: [],
    configFiles: [],
    help: false,
    version: false,
  };
  // help is given even when a configuration file is broken
  if (args.includes('-h') || args.includes('--help')) {
    options.help = true;
    return options;
  }
  for (const file of configFiles(args, places)) {
    const words = readConfigFile(file);
    if (words === undefined) continue;
    options.configFiles.push(file.path);
    applyWords(words, options, file.path);
  }
  applyWords(args, options, undefined);
  return options;
}

/** What an option takes: nothing, a value, or a value only when attached (`--verbosity=4`, `-v4`). */
type ValueKind = 'none' | 'required' | 'optional';

interface OptionSpec {
  readonly long: string;
  readonly short?: string;
  readonly value: ValueKind;
  /** Only on the command line: it says which configuration files to read. */
  readonly commandLineOnly?: boolean;
  apply(options: CliOptions, value: string | undefined): void;
}

const SPECS: readonly OptionSpec[] = [
  { long: 'tree', short: 't', value: 'required', apply: (o, v) => (o.tree = positive('tree', v!)) },
  { long: 'images-dir', short: 'D', value: 'required', apply: (o, v) => (o.imagesDir = v) },
  { long: 'work-dir', short: 'W', value: 'required', apply: (o, v) => (o.workDir = v) },
  { long: 'log-file', short: 'o', value: 'required', apply: (o, v) => (o.logFile = v) },
  { long: 'verbosity', short: 'v', value: 'optional', apply: (o, v) => (o.verbosity = v === undefined ? o.verbosity + 1 : level(v)) },
  { long: 'leave-running', short: 'R', value: 'none', apply: (o) => (o.finalState = 'alive') },
  { long: 'leave-stopped', short: 's', value: 'none', apply: (o) => (o.finalState = 'stopped') },
  { long: 'restore-detached', short: 'd', value: 'none', apply: (o) => (o.restoreDetached = true) },
  { long: 'no-restore-detached', value: 'none', apply: (o) => (o.restoreDetached = false) },
  { long: 'daemon', value: 'none', apply: (o) => (o.restoreDetached = true) },
  { long: 'no-daemon', value: 'none', apply: (o) => (o.restoreDetached = false) },
  { long: 'pidfile', value: 'required', apply: (o, v) => (o.pidfile = v) },
  { long: 'timeout', value: 'required', apply: (o, v) => (o.timeoutSeconds = positive('timeout', v!)) },
  { long: 'feature', value: 'required', apply: (o, v) => (o.feature = v) },
  { long: 'pre-dump-mode', value: 'required', apply: (o, v) => (o.preDumpMode = preDumpMode(v!)) },
  { long: 'ghost-limit', value: 'required', apply: (o, v) => (o.ghostLimit = size('ghost-limit', v!)) },
  { long: 'link-remap', value: 'none', apply: (o) => (o.linkRemap = true) },
  { long: 'file-locks', short: 'l', value: 'none', apply: (o) => (o.fileLocks = true) },
  { long: 'shell-job', short: 'j', value: 'none', apply: (o) => (o.shellJob = true) },
  { long: 'tcp-established', value: 'none', apply: (o) => (o.tcpEstablished = true) },
  { long: 'network-lock', value: 'required', apply: (o, v) => (o.networkLock = networkLock(v!)) },
  { long: 'inherit-fd', value: 'required', apply: (o, v) => inheritFd(o, v!) },
  { long: 'external', value: 'required', apply: (o, v) => o.external.push(external(v!)) },
  // read before everything else by configFiles(): nothing left to do when they come by
  { long: 'config', value: 'required', commandLineOnly: true, apply: () => {} },
  { long: 'no-default-config', value: 'none', commandLineOnly: true, apply: () => {} },
  { long: 'help', short: 'h', value: 'none', apply: (o) => (o.help = true) },
  { long: 'version', short: 'V', value: 'none', apply: (o) => (o.version = true) },
];

/** CRIU's other options (long names and short letters): refused by name. */
const NOT_YET = new Set([
  'restore-sibling', 'S', 'root', 'r', 'ext-unix-sk', 'x', 'join-ns', 'J', 'libdir', 'L', 'ext-mount-map', 'M',
  'tcp-close', 'skip-in-flight', 'close', 'log-pid', 'evasive-devices', 'veth-pair',
  'action-script', 'ghost-fiemap', 'page-server',
  'address', 'port', 'prev-images-dir', 'ms', 'track-mem', 'auto-dedup', 'cpu-cap', 'force-irmap', 'exec-cmd',
  'manage-cgroups', 'cgroup-root', 'cgroup-props', 'cgroup-props-file', 'cgroup-dump-controller', 'cgroup-yard',
  'freeze-cgroup', 'skip-mnt', 'enable-fs', 'enable-external-sharing', 'enable-external-masters',
  'irmap-scan-path', 'lsm-profile', 'lsm-mount-context', 'empty-ns', 'lazy-pages', 'extra',
  'experimental', 'all', 'deprecated', 'display-stats', 'weak-sysctls', 'status-fd', 'ps-socket', 'stream', 'tls',
  'tls-cacert', 'tls-cacrl', 'tls-cert', 'tls-key', 'tls-no-cn-verify', 'file-validation', 'skip-file-rwx-check',
  'mntns-compat-mode', 'unprivileged', 'allow-uprobes', 'leave-frozen',
]);

/**
 * Applies words to the options: the command line (`source` undefined) or a configuration file's
 * words. The first word that is not an option is the command; only the command line may have one.
 */
function applyWords(words: readonly string[], options: CliOptions, source: string | undefined): void {
  const where = source === undefined ? '' : `${source}: `;
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === '--') {
      for (const rest of words.slice(i + 1)) positional(options, rest, where, source);
      return;
    }
    if (word.startsWith('--')) {
      const [name, attached] = splitOnce(word.slice(2), '=');
      const spec = byLong(name, where);
      if (spec.commandLineOnly && source !== undefined) throw new OptionError(`${where}option --${name} can only be given on the command line`);
      if (spec.value === 'none') {
        if (attached !== undefined) throw new OptionError(`${where}option --${name} takes no value`);
        apply(spec, options, undefined, where);
      } else if (attached !== undefined) apply(spec, options, attached, where);
      else if (spec.value === 'required') {
        if (i + 1 >= words.length) throw new OptionError(`${where}option --${name} needs a value`);
        apply(spec, options, words[++i], where);
        // an optional value is taken from the next word only when it is a number: `--verbosity 4`,
        // the form a configuration file line `verbosity 4` turns into
      } else if (/^\d+$/.test(words[i + 1] ?? '')) apply(spec, options, words[++i], where);
      else apply(spec, options, undefined, where);
    } else if (word.startsWith('-') && word.length > 1) {
      i += applyShort(word, words[i + 1], options, where);
    } else positional(options, word, where, source);
  }
}

/** A cluster of short options; returns 1 when it took the next word as a value. */
function applyShort(word: string, next: string | undefined, options: CliOptions, where: string): number {
  for (let j = 1; j < word.length; j++) {
    const letter = word[j];
    if (letter === 'v') {
      shortVerbosity(word.slice(j + 1), options, where);
      return 0;
    }
    const spec = SPECS.find((s) => s.short === letter);
    if (!spec) throw unknown(letter, `-${letter}`, where);
    if (spec.value === 'none') {
      apply(spec, options, undefined, where);
      continue;
    }
    if (j + 1 < word.length) {
      apply(spec, options, word.slice(j + 1), where);
      return 0;
    }
    if (next === undefined) throw new OptionError(`${where}option -${letter} needs a value`);
    apply(spec, options, next, where);
    return 1;
  }
  return 0;
}

/** CRIU's -v counts (-v, -vv, ...) or sets (-v4); zdtm.py writes `-verbosity=0` for the level. */
function shortVerbosity(rest: string, options: CliOptions, where: string): void {
  if (rest === '' || /^v+$/.test(rest)) options.verbosity += rest.length + 1;
  else if (/^\d+$/.test(rest)) options.verbosity = level(rest);
  else if (rest.startsWith('erbosity=')) options.verbosity = level(rest.slice('erbosity='.length));
  else throw new OptionError(`${where}option -v takes a level (-v4) or more v's (-vvv), not '${rest}'`);
}

/** Applies one option; a bad value's error names the configuration file it came from. */
function apply(spec: OptionSpec, options: CliOptions, value: string | undefined, where: string): void {
  try {
    spec.apply(options, value);
  } catch (error) {
    if (error instanceof OptionError && where !== '') throw new OptionError(`${where}${error.message}`);
    throw error;
  }
}

function positional(options: CliOptions, word: string, where: string, source: string | undefined): void {
  if (source !== undefined) throw new OptionError(`${where}'${word}' is not an option (a configuration file holds options only)`);
  if (options.command !== undefined) throw new OptionError(`unexpected argument '${word}'`);
  options.command = word;
}

function byLong(name: string, where: string): OptionSpec {
  const spec = SPECS.find((s) => s.long === name);
  if (!spec) throw unknown(name, `--${name}`, where);
  return spec;
}

function unknown(name: string, shown: string, where: string): OptionError {
  return new OptionError(`${where}${NOT_YET.has(name) ? `option ${shown} is not supported by criu-ts yet` : `unknown option ${shown}`}`);
}

function positive(name: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n <= 0) throw new OptionError(`option --${name} needs a number above 0, not '${text}'`);
  return n;
}

function level(text: string): number {
  if (!/^\d+$/.test(text)) throw new OptionError(`option --verbosity needs a level from 0 to 4, not '${text}'`);
  return Number(text);
}

/** A size as CRIU reads one: bytes, or a number with K, M or G (powers of 1024). */
function size(name: string, text: string): number {
  const m = /^(\d+)([KMG]?)$/.exec(text);
  if (!m) throw new OptionError(`option --${name} needs a size (bytes, or a number with K, M or G), not '${text}'`);
  return Number(m[1]) * 1024 ** ' KMG'.indexOf(m[2] || ' ');
}

/** fd[N]:RESOURCE, as CRIU writes it: RESOURCE as /proc names it (pipe:[INODE]...), or a path. */
function inheritFd(options: CliOptions, text: string): void {
  const m = /^fd\[(\d+)\]:(.+)$/.exec(text);
  if (!m) throw new OptionError(`option --inherit-fd takes fd[N]:RESOURCE, not '${text}'`);
  options.inheritFds.set(m[2], Number(m[1]));
}

/** file[MNT_ID:INODE] or tty[RDEV:DEV], in hex as CRIU spells them; CRIU's other kinds are refused by name. */
function external(text: string): string {
  const m = /^(\w+)\[([0-9a-fA-F]+):([0-9a-fA-F]+)\]$/.exec(text);
  if (m && (m[1] === 'file' || m[1] === 'tty')) return `${m[1]}[${m[2].toLowerCase()}:${m[3].toLowerCase()}]`;
  const kind = /^(\w+)\[/.exec(text)?.[1];
  if (kind && ['mnt', 'dev', 'unix', 'net', 'pid'].includes(kind)) throw new OptionError(`option --external ${kind}[...] is not supported by criu-ts yet`);
  throw new OptionError(`option --external takes file[MNT_ID:INODE] or tty[RDEV:DEV] (hex), not '${text}'`);
}

function networkLock(text: string): NetworkLockMethod {
  if (!(NETWORK_LOCK_METHODS as readonly string[]).includes(text)) throw new OptionError(`option --network-lock is 'iptables', 'nftables' or 'skip', not '${text}'`);
  return text as NetworkLockMethod;
}

function preDumpMode(text: string): 'splice' | 'read' {
  if (text !== 'splice' && text !== 'read') throw new OptionError(`option --pre-dump-mode is 'splice' or 'read', not '${text}'`);
  return text;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

export const USAGE = `Usage:
  criu-ts dump -t PID [-D DIR] [-R|-s] [options]
  criu-ts restore [-D DIR] [-d] [--pidfile FILE] [options]
  criu-ts check [--feature NAME]
  criu-ts demo

Commands:
  dump      checkpoint a process tree: its state goes to DIR and, unless -R, the tree is killed
  restore   bring a checkpointed tree back, with its PIDs
  check     see whether this kernel has what criu-ts needs, or one CRIU feature (--feature)
  demo      checkpoint and restore a sample program, step by step

Options (CRIU's; --name=value works as well as --name value):
  -t|--tree PID            the root of the tree to dump
  -D|--images-dir DIR      where the images are written or read (default: the current directory)
  -W|--work-dir DIR        where relative log and pid files go (default: the images directory)
  -o|--log-file FILE       log to FILE instead of stderr
  -v[NUM]|--verbosity[=NUM]  0 messages, 1 errors, 2 warnings (default), 3 info, 4 debug; -v, -vv add
  -R|--leave-running       keep the tree running after a dump
  -s|--leave-stopped       leave the tree stopped (SIGSTOP) after a dump
  -d|--restore-detached    return once the tree is restored (the tree's parent is init either way)
  --pidfile FILE           restore: write the restored root's PID to FILE, which must not exist
  --timeout SEC            how long to wait for a task to stop when freezing (default 10)
  --feature NAME           check: is this one CRIU feature there for criu-ts (exit 0) or not (exit 1)
  --pre-dump-mode MODE     splice or read: only pre-dump reads it, which criu-ts does not have yet
  --ghost-limit SIZE       copy deleted-but-open files up to SIZE (K, M, G) into the images
  --link-remap             link a deleted file still linked elsewhere back instead of refusing it
  -l|--file-locks          dump held file locks, and take them again on restore
  -j|--shell-job           the tree may belong to a session, and use a terminal, from outside it
  --external RES           dump: file[MNT_ID:INODE] or tty[RDEV:DEV] (hex) is handed back on restore
  --inherit-fd fd[N]:RES   restore: our fd N stands in for RES (pipe:[INODE], a path, file[..], tty[..])
  --config FILE            read options from FILE (and no default configuration file)
  --no-default-config      do not read /etc/criu/default.conf and ~/.criu/default.conf
  -h|--help                show this text
  -V|--version             print the version

Configuration files hold one option per line without the dashes ("verbosity 4"), # comments.
`;
