/**
 * CRIU's command line: the same option names and meanings, so a CRIU user's habits and scripts
 * carry over. An option criu-ts does not implement yet is an error, never silently ignored.
 */

export interface CliOptions {
  command?: string;
  imagesDir?: string;
  workDir?: string;
  logFile?: string;
  verbosity: number;
  tree?: number;
  leaveRunning: boolean;
  leaveStopped: boolean;
  restoreDetached: boolean;
  pidfile?: string;
  timeoutSeconds?: number;
  help: boolean;
  version: boolean;
}

export class OptionError extends Error {}

interface OptionSpec {
  readonly long: string;
  readonly short?: string;
  readonly value: boolean;
  apply(options: CliOptions, value: string): void;
}

const positiveInt = (name: string, text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new OptionError(`option --${name} needs a number, not '${text}'`);
  return n;
};

const SPECS: readonly OptionSpec[] = [
  { long: 'images-dir', short: 'D', value: true, apply: (o, v) => (o.imagesDir = v) },
  { long: 'work-dir', short: 'W', value: true, apply: (o, v) => (o.workDir = v) },
  { long: 'log-file', short: 'o', value: true, apply: (o, v) => (o.logFile = v) },
  { long: 'tree', short: 't', value: true, apply: (o, v) => (o.tree = positiveInt('tree', v)) },
  { long: 'leave-running', short: 'R', value: false, apply: (o) => (o.leaveRunning = true) },
  { long: 'leave-stopped', short: 's', value: false, apply: (o) => (o.leaveStopped = true) },
  { long: 'restore-detached', short: 'd', value: false, apply: (o) => (o.restoreDetached = true) },
  { long: 'pidfile', value: true, apply: (o, v) => (o.pidfile = v) },
  { long: 'timeout', value: true, apply: (o, v) => (o.timeoutSeconds = positiveInt('timeout', v)) },
  { long: 'verbosity', value: true, apply: (o, v) => (o.verbosity = positiveInt('verbosity', v)) },
  // no configuration files are read yet, so this one asks for what already happens
  { long: 'no-default-config', value: false, apply: () => {} },
  { long: 'help', short: 'h', value: false, apply: (o) => (o.help = true) },
  { long: 'version', short: 'V', value: false, apply: (o) => (o.version = true) },
];

/** CRIU options criu-ts knows of but does not implement yet: refused by name. */
const NOT_YET = new Set([
  'shell-job', 'j', 'tcp-established', 'tcp-close', 'ext-unix-sk', 'file-locks', 'link-remap', 'ghost-limit',
  'manage-cgroups', 'cgroup-root', 'external', 'inherit-fd', 'page-server', 'address', 'port', 'prev-images-dir',
  'track-mem', 'lazy-pages', 'auto-dedup', 'network-lock', 'skip-mnt', 'enable-fs', 'root', 'config', 'feature',
  'pre-dump-mode', 'evasive-devices', 'leave-frozen', 'freeze-cgroup', 'exec-cmd', 'action-script', 'stream',
]);

export function parseOptions(args: readonly string[]): CliOptions {
  const options: CliOptions = { verbosity: 2, leaveRunning: false, leaveStopped: false, restoreDetached: false, help: false, version: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith('--')) {
      const [name, inline] = splitOnce(arg.slice(2), '=');
      const spec = SPECS.find((s) => s.long === name);
      if (!spec) throw unknown(name, `--${name}`);
      if (spec.value) {
        const value = inline ?? args[++i];
        if (value === undefined) throw new OptionError(`option --${name} needs a value`);
        spec.apply(options, value);
      } else if (inline !== undefined) throw new OptionError(`option --${name} takes no value`);
      else spec.apply(options, '');
    } else if (arg.startsWith('-') && arg.length > 1) {
      // CRIU's -v counts: -v, -vv, -vvv, or -v4
      if (arg[1] === 'v') {
        const rest = arg.slice(2);
        options.verbosity = rest === '' ? 3 : /^v+$/.test(rest) ? 2 + rest.length + 1 : positiveInt('verbosity', rest);
        continue;
      }
      for (let j = 1; j < arg.length; j++) {
        const spec = SPECS.find((s) => s.short === arg[j]);
        if (!spec) throw unknown(arg[j], `-${arg[j]}`);
        if (spec.value) {
          const value = j + 1 < arg.length ? arg.slice(j + 1) : args[++i];
          if (value === undefined) throw new OptionError(`option -${arg[j]} needs a value`);
          spec.apply(options, value);
          break;
        }
        spec.apply(options, '');
      }
    } else if (options.command === undefined) options.command = arg;
    else throw new OptionError(`unexpected argument '${arg}'`);
  }
  return options;
}

function unknown(name: string, shown: string): OptionError {
  return new OptionError(NOT_YET.has(name) ? `option ${shown} is not supported by criu-ts yet` : `unknown option ${shown}`);
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

export const USAGE = `Usage:
  criu-ts dump -t PID -D DIR [-R|-s] [options]
  criu-ts restore -D DIR [-d] [--pidfile FILE] [options]
  criu-ts check
  criu-ts demo

Commands:
  dump      checkpoint a process tree: its state goes to DIR and, unless -R, the tree is killed
  restore   bring a checkpointed tree back, with its PIDs
  check     see whether this kernel has what criu-ts needs
  demo      checkpoint and restore a sample program, step by step

Options:
  -t|--tree PID            the root of the tree to dump
  -D|--images-dir DIR      where the images are written or read
  -W|--work-dir DIR        where the log goes (default: the images directory)
  -o|--log-file FILE       log to FILE (relative to the work directory)
  -v[NUM]|--verbosity NUM  0 silent, 1 errors, 2 warnings (default), 3 info, 4 debug
  -R|--leave-running       keep the tree running after a dump
  -s|--leave-stopped       leave the tree stopped (SIGSTOP) after a dump
  -d|--restore-detached    return once the tree is restored (the tree's parent is init either way)
  --pidfile FILE           write the restored root's PID to FILE
  --timeout SEC            how long to wait for a task to stop when freezing (default 10)
  --version                print the version
`;
