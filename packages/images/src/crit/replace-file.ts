import { closeSync, fchmodSync, lstatSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Whether `path` is a regular file or nothing yet: what writeReplacing can replace. */
export function canReplace(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return true;
  }
}

/**
 * Writes a file through `write`, which hands its pieces to the sink, into a new file beside `path`
 * that then replaces it (with the old one's mode): an image found bad half-way leaves `path` as it
 * was (crit decodes all before it opens its output), and the text is never held whole.
 */
export function writeReplacing(path: string, write: (sink: (bytes: Uint8Array) => void) => void): void {
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(temporary, 'wx', 0o666);
  let open = true;
  try {
    const mode = modeOf(path);
    if (mode !== undefined) fchmodSync(fd, mode);
    write((bytes) => {
      for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
    });
    open = false;
    closeSync(fd);
    renameSync(temporary, path);
  } catch (error) {
    if (open) closeSync(fd);
    rmSync(temporary, { force: true });
    throw error;
  }
}

function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o7777;
  } catch {
    return undefined;
  }
}
