/**
 * A unix socket's name as the kernel reports it (sock_diag, getsockname): empty, an abstract name
 * (its first byte 0), or a path ending in a NUL.
 */

/** The path a path name leads to, without its NUL. */
export function unixPath(name: Uint8Array): string {
  const end = name.indexOf(0);
  return Buffer.from(end < 0 ? name : name.subarray(0, end)).toString();
}

/** The name for a message: an abstract name as `@name`, a path as it is. */
export function describeUnixName(name: Uint8Array): string {
  return name[0] === 0 ? `@${Buffer.from(name.subarray(1)).toString()}` : unixPath(name);
}
