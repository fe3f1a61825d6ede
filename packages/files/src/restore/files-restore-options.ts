/** What a user can ask of the files part of a restore (CRIU's options of the same names). */
export interface FilesRestoreOptions {
  /** --inherit-fd fd[N]:RESOURCE: our fd N stands in for the named resource. */
  readonly inheritFds?: ReadonlyMap<string, number>;
  /** --file-locks: file locks in the images are taken again. */
  readonly fileLocks?: boolean;
  /** --shell-job: a terminal whose other side was outside the tree is replaced by our standard input's. */
  readonly shellJob?: boolean;
}
