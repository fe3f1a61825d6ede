/**
 * The image codec (@criu-ts/images), loaded by name at run time: its message values are the
 * shape the arch packages produce (CRIU field names, 64-bit as bigint, empty repeated fields absent).
 * Loaded dynamically so this package's typecheck does not depend on the codec's types being built.
 */
interface Codec {
  messageType(name: string): { encode(m: unknown): { finish(): Uint8Array }; decode(b: Uint8Array): unknown; fromObject(o: unknown): unknown };
  toWireObject(type: unknown, value: unknown): Record<string, unknown>;
  toMessageValue(type: unknown, wire: unknown): Record<string, unknown>;
}

const specifier: string = '@criu-ts/images';

/** Encodes a message value to protobuf bytes with CRIU's schema and decodes it back. */
export async function throughCodec<T>(messageName: string, value: T): Promise<{ bytes: Uint8Array; value: T }> {
  const codec = (await import(specifier)) as Codec;
  const type = codec.messageType(messageName);
  const bytes = type.encode(type.fromObject(codec.toWireObject(type, value))).finish();
  return { bytes, value: codec.toMessageValue(type, type.decode(bytes)) as T };
}
