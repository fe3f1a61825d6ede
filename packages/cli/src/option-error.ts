/** A command line or configuration file criu-ts cannot act on: the message says which option and why. */
export class OptionError extends Error {
  override name = 'OptionError';
}
