/**
 * Every image message of CRIU 4.x in one protobufjs root, for encoding and for library users who
 * want protobufjs types; decoding reads the same descriptors through message-plan.ts instead.
 */
import protobuf from 'protobufjs';
import { SCHEMA_FILES } from './schema-files.js';

function buildRoot(): protobuf.Root {
  const nested: Record<string, unknown> = {};
  for (const file of SCHEMA_FILES) {
    for (const [name, descriptor] of Object.entries(file)) {
      if (name in nested) throw new Error(`schema: ${name} is defined twice`);
      // protobufjs reads JSON descriptors as proto3 unless told otherwise; CRIU's are proto2,
      // which matters on the wire: repeated scalars are not packed unless marked so.
      nested[name] = { ...descriptor, edition: 'proto2' };
    }
  }
  const root = protobuf.Root.fromJSON({ nested } as protobuf.INamespace);
  root.resolveAll();
  return root;
}

let root: protobuf.Root | undefined;

/** The protobufjs root holding every image message, built on first use. */
export function schemaRoot(): protobuf.Root {
  root ??= buildRoot();
  return root;
}

const TYPES = new Map<string, protobuf.Type>();

/** A message type by its CRIU name, e.g. "core_entry". */
export function messageType(name: string): protobuf.Type {
  let type = TYPES.get(name);
  if (!type) {
    type = schemaRoot().lookupType(name);
    TYPES.set(name, type);
  }
  return type;
}

export * from './define.js';
