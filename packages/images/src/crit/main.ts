/**
 * crit-ts: CRIU's image tool, with crit's commands, options and output.
 *   decode [-i IN] [-o OUT] [--pretty]   image to JSON
 *   encode [-i IN] [-o OUT]              JSON to image
 *   info IN                              magic and entry count
 *   show IN [--nopl]                     decode --pretty to stdout
 *   x DIR ps|fds|mems|rss                explore an images directory
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canReplace, writeReplacing } from './replace-file.js';
import { formatJson, parseJson } from '../crit-json/python-json.js';
import { PythonJsonWriter } from '../crit-json/python-json-writer.js';
import { critJsonSizeGuess } from '../crit-json/write-crit-json.js';
import type { ReadAt } from '../crit-json/read-window.js';
import { writeImageCritJson, writeImageFileCritJson } from '../crit-json/write-image-crit-json.js';
import { ImageFault } from '../image-error.js';
import { openEntries } from '../read-entries.js';
import type { Explorer } from './explore.js';

const USAGE = `usage: crit-ts [-h] [--version] {decode,encode,info,x,show} ...

CRiu Image Tool (TypeScript)

  decode [-i IN] [-o OUT] [--pretty]   convert criu image from binary type to json
  encode [-i IN] [-o OUT]              convert criu image from json type to binary
  info IN                              show info about image
  x DIR {ps,fds,mems,rss}              explore image dir
  show IN [--nopl]                     convert criu image from binary to human-readable json
`;

interface Options {
  in?: string;
  out?: string;
  pretty: boolean;
  nopl: boolean;
  positional: string[];
}

export class UsageError extends Error {}

function parseOptions(args: string[]): Options {
  const options: Options = { pretty: false, nopl: false, positional: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const [, inline] = arg.split(/=(.*)/s);
      if (inline !== undefined) return inline;
      if (i + 1 >= args.length) throw new UsageError(`argument ${arg}: expected one argument`);
      return args[++i];
    };
    if (arg === '-i' || arg === '--in' || arg.startsWith('--in=')) options.in = value();
    else if (arg === '-o' || arg === '--out' || arg.startsWith('--out=')) options.out = value();
    else if (arg === '--pretty') options.pretty = true;
    else if (arg === '--nopl') options.nopl = true;
    else if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unrecognized arguments: ${arg}`);
    else options.positional.push(arg);
  }
  return options;
}

function input(path: string | undefined): Buffer {
  return readFileSync(path ?? 0);
}

/** Written to a file, crit's JSON has no trailing newline; printed, it has one. */
function output(path: string | undefined, data: Uint8Array, stdoutNewline: boolean): void {
  if (path) writeFileSync(path, data);
  else {
    process.stdout.write(data);
    if (stdoutNewline) process.stdout.write('\n');
  }
}

/** Entries are written as they are read, straight from the wire where they can be (writeImageCritJson). */
function decode(options: Options, pretty: boolean, file: string): void {
  const json = { pretty, noPayload: options.nopl };
  withImage(options.in, (image) => {
    const write = (writer: PythonJsonWriter) =>
      image.bytes ? writeImageCritJson(writer, image.bytes, file, json) : writeImageFileCritJson(writer, image.readAt, file, json);
    if (options.out !== undefined && canReplace(options.out)) {
      writeReplacing(options.out, (sink) => {
        const writer = new PythonJsonWriter(pretty ? 4 : undefined, STREAM_PIECE, sink);
        write(writer);
        writer.flush();
      });
      return;
    }
    const spooled = spool((sink) => {
      const writer = new PythonJsonWriter(pretty ? 4 : undefined, STREAM_PIECE, sink);
      write(writer);
      writer.flush();
    });
    if (spooled) {
      spooled.copyTo(options.out);
      return;
    }
    const writer = new PythonJsonWriter(pretty ? 4 : undefined, critJsonSizeGuess(image.size, pretty));
    write(writer);
    output(options.out, writer.bytes(), true);
  });
}

/**
 * Output that cannot be replaced whole (stdout, a pipe, a device) is spooled through an unlinked
 * file and copied out once the image decoded: a bad image prints nothing, as with crit, and the
 * text is never held in memory, where each new page costs a fault (more than the file's page cache
 * costs). Undefined if no spool file can be made (the text is then built in memory); `write` runs
 * only once a file is made, and its errors stop the copy.
 */
function spool(write: (sink: (bytes: Uint8Array) => void) => void): { copyTo(path: string | undefined): void } | undefined {
  let fd: number;
  try {
    // 'wx' (O_EXCL) never opens a file another made; the name needs no secrecy, and loading
    // node:crypto for one would add ~6 ms to every start
    const path = join(tmpdir(), `.crit-ts-${process.pid}-${Math.random().toString(36).slice(2)}`);
    fd = openSync(path, 'wx+', 0o600);
    unlinkSync(path);
  } catch {
    return undefined;
  }
  let size = 0;
  try {
    write((bytes) => {
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
      size += bytes.length;
    });
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return {
    copyTo(path) {
      const out = path === undefined ? STDOUT : openSync(path, 'w');
      try {
        const piece = Buffer.allocUnsafeSlow(STREAM_PIECE);
        for (let at = 0; at < size; ) {
          const n = readSync(fd, piece, 0, Math.min(piece.length, size - at), at);
          if (!writeAll(out, piece.subarray(0, n))) return;
          at += n;
        }
        // printed, crit's JSON ends with a newline; written to a file, it does not
        if (out === STDOUT) writeAll(out, Buffer.from('\n'));
      } finally {
        if (out !== STDOUT) closeSync(out);
        closeSync(fd);
      }
    },
  };
}

const STDOUT = 1;
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes all of `bytes` to `fd`, waiting out a full non-blocking pipe (EAGAIN); false once the
 * reader is gone (EPIPE: `crit-ts decode ... | head` stops early and quietly, as such tools do).
 */
function writeAll(fd: number, bytes: Uint8Array): boolean {
  for (let done = 0; done < bytes.length; ) {
    try {
      done += writeSync(fd, bytes, done, bytes.length - done);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return false;
      if (code !== 'EAGAIN') throw error;
      Atomics.wait(PAUSE, 0, 0, 1);
    }
  }
  return true;
}

/** A regular file is read piece by piece as it is decoded; anything else (stdin, a pipe) whole. */
type ImageInput = { size: number } & ({ bytes: Uint8Array; readAt?: never } | { bytes?: never; readAt: ReadAt });

function withImage(path: string | undefined, use: (image: ImageInput) => void): void {
  const fd = path === undefined ? undefined : openSync(path, 'r');
  try {
    const stat = fd === undefined ? undefined : fstatSync(fd);
    if (fd !== undefined && stat?.isFile()) {
      use({ size: stat.size, readAt: (buffer, offset, length, position) => readSync(fd, buffer, offset, length, position) });
      return;
    }
    const bytes = readFileSync(fd ?? 0);
    use({ size: bytes.length, bytes });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Pieces of 256 KiB: written as they fill, they stay in the CPU's caches instead of growing a
 * buffer, and a larger one costs more in first-touch faults than the writes it spares.
 */
const STREAM_PIECE = 1 << 18;

/**
 * Runs one crit-ts command line; returns the exit code. Only decode, info and show are loaded up
 * front: encode needs the protobufjs root and x the explorers, and loading them costs a small
 * image's decode several times over.
 */
export async function runCrit(args: string[]): Promise<number> {
  try {
    const [command, ...rest] = args;
    if (command === '--version') {
      process.stdout.write('crit-ts 0.1.0\n');
      return 0;
    }
    if (!command || command === '-h' || command === '--help') {
      process.stdout.write(USAGE);
      return command ? 0 : 1;
    }
    const options = parseOptions(rest);
    switch (command) {
      case 'decode':
        decode(options, options.pretty, options.in ?? '<stdin>');
        return 0;
      case 'show': {
        const [file] = requirePositional(options, 1, 'show IN');
        decode({ ...options, in: file, out: undefined }, true, file);
        return 0;
      }
      case 'encode': {
        const file = options.in ?? '<stdin>';
        const { imageFromCritJson } = await import('../crit-json/from-crit-json.js');
        const { encodeImageOrThrow } = await import('../write-image.js');
        const image = imageFromCritJson(parseJson(input(options.in).toString('utf8')), file);
        output(options.out, encodeImageOrThrow(image, options.out ?? '<stdout>'), false);
        return 0;
      }
      case 'info': {
        const [file] = requirePositional(options, 1, 'info IN');
        const { magic, entries } = openEntries(readFileSync(file), file);
        let count = 0;
        for (const entry of entries) if (!(magic === 'PAGEMAP' && entry.type === 'pagemap_head')) count++;
        process.stdout.write(formatJson({ magic, count }, 4) + '\n');
        return 0;
      }
      case 'x': {
        const [dir, what] = requirePositional(options, 2, 'x DIR {ps,fds,mems,rss}');
        if (!['ps', 'fds', 'mems', 'rss'].includes(what)) {
          throw new UsageError(`argument what: invalid choice: '${what}' (choose from 'ps', 'fds', 'mems', 'rss')`);
        }
        const { ImagesDir } = await import('../images-dir.js');
        const { explore } = await import('./explore.js');
        const opened = ImagesDir.open(dir);
        if (opened._tag === 'Left') throw new ImageFault(opened.left);
        const lines = explore(opened.right, what as Explorer);
        process.stdout.write(lines.map((line) => line + '\n').join(''));
        return 0;
      }
      default:
        throw new UsageError(`argument command: invalid choice: '${command}' (choose from 'decode', 'encode', 'info', 'x', 'show')`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${USAGE}crit-ts: error: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`crit-ts: ${(error as Error).message}\n`);
    return 1;
  }
}

function requirePositional(options: Options, count: number, usage: string): string[] {
  if (options.positional.length !== count) throw new UsageError(`usage: crit-ts ${usage}`);
  return options.positional;
}
