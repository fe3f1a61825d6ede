/**
 * The image codec (@criu-ts/images), loaded by name at run time: its message values are the
 * shape the arch packages produce (CRIU field names, 64-bit as bigint, empty repeated fields absent).
 * Loaded dynamically so this package's typecheck does not depend on the codec's types being built.
 */
type Result<A> = { _tag: 'Left'; left: { message: string } } | { _tag: 'Right'; right: A };

interface Codec {
  encodeMessageValue(name: string, value: unknown): Result<Uint8Array>;
  decodeMessageValue(name: string, bytes: Uint8Array): Result<Record<string, unknown>>;
}

const specifier: string = '@criu-ts/images';

function must<A>(result: Result<A>): A {
  if (result._tag === 'Left') throw new Error(result.left.message);
  return result.right;
}

/** Encodes a message value to protobuf bytes with CRIU's schema and decodes it back. */
export async function throughCodec<T>(messageName: string, value: T): Promise<{ bytes: Uint8Array; value: T }> {
  const codec = (await import(specifier)) as Codec;
  const bytes = must(codec.encodeMessageValue(messageName, value));
  return { bytes, value: must(codec.decodeMessageValue(messageName, bytes)) as T };
}
