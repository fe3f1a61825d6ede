/**
 * CRIU's configuration files, and which of them a run reads. A file holds one option per line,
 * written without its leading dashes, its value after a space (in double quotes when the value has
 * spaces, `\"` for a quote inside), and `#` starts a comment:
 *
 *     # log everything
 *     verbosity 4
 *     images-dir "/var/lib/my images"
 *     leave-running
 *
 * They are read in this order, each overriding the one before, and the command line last:
 * /etc/criu/default.conf, ~/.criu/default.conf (both skipped with --no-default-config or --config),
 * the file named by $CRIU_CONFIG_FILE, the file given with --config.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OptionError } from './option-error.js';

/** One configuration file to read; `required` ones must exist (the user named them). */
export interface ConfigFile {
  readonly path: string;
  readonly required: boolean;
}

export interface ConfigPlaces {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where the system-wide default.conf is: /etc/criu, as CRIU has it. */
  readonly globalDir: string;
}

/** The configuration files a command line asks for, in the order they are read. */
export function configFiles(args: readonly string[], places: ConfigPlaces): ConfigFile[] {
  let explicit: string | undefined;
  let noDefault = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--no-default-config') noDefault = true;
    else if (arg === '--config') {
      explicit = args[i + 1];
      if (explicit === undefined) throw new OptionError('option --config needs a value');
      i++;
    } else if (arg.startsWith('--config=')) explicit = arg.slice('--config='.length);
  }
  const files: ConfigFile[] = [];
  // naming a file with --config means "this configuration", so the defaults are left out as well
  if (!noDefault && explicit === undefined) {
    files.push({ path: join(places.globalDir, 'default.conf'), required: false });
    const home = places.env.HOME;
    if (home) files.push({ path: join(home, '.criu', 'default.conf'), required: false });
  }
  const fromEnv = places.env.CRIU_CONFIG_FILE;
  if (fromEnv) files.push({ path: fromEnv, required: true });
  if (explicit !== undefined) files.push({ path: explicit, required: true });
  return files;
}

/**
 * The options a configuration file holds, as command-line words (`verbosity 4` gives `--verbosity`,
 * `4`); undefined when an optional file does not exist. A file the user named that cannot be read,
 * or a line in a form CRIU does not accept, is an error naming the file and line.
 */
export function readConfigFile(file: ConfigFile): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(file.path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !file.required) return undefined;
    throw new OptionError(`configuration file ${file.path}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  return parseConfigText(text, file.path);
}

/** Turns configuration-file text into command-line words. */
export function parseConfigText(text: string, path: string): string[] {
  const words: string[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${path}:${index + 1}`;
    const space = line.search(/\s/);
    if (space < 0) {
      words.push(`--${line}`);
      return;
    }
    words.push(`--${line.slice(0, space)}`);
    const rest = line.slice(space).trimStart();
    if (rest.startsWith('#')) return;
    words.push(rest.startsWith('"') ? quotedValue(rest, where) : plainValue(rest, where));
  });
  return words;
}

/** `"a value"`: up to the first quote not escaped by a backslash; only a comment may follow it. */
function quotedValue(rest: string, where: string): string {
  let end = 1;
  while (end < rest.length && !(rest[end] === '"' && rest[end - 1] !== '\\')) end++;
  if (end >= rest.length) throw new OptionError(`${where}: the quoted value has no closing quote`);
  const after = rest.slice(end + 1).trim();
  if (after !== '' && !after.startsWith('#')) throw new OptionError(`${where}: one value per option; found '${after}' after the quoted value`);
  return rest.slice(1, end).replaceAll('\\"', '"');
}

/** A value without quotes: one word, up to a comment. */
function plainValue(rest: string, where: string): string {
  const hash = rest.indexOf('#');
  const value = (hash < 0 ? rest : rest.slice(0, hash)).trimEnd();
  if (/\s/.test(value)) throw new OptionError(`${where}: one value per option; quote a value that has spaces ('${value}')`);
  return value;
}
