/**
 * A small vocabulary for writing CRIU's image messages as protobufjs JSON
 * descriptors. Every image message in this folder is written with it, so a
 * reader sees field numbers, wire types and crit's display hints side by side.
 */

/** How crit shows an integer field in `--pretty` output (CRIU's `(criu)` field option). */
export interface CritHint {
  /** Shown as a hex string, "0x1f"; inherited by every field of a message marked so. */
  hex?: boolean;
  /** A repeated uint32 in network byte order that is an IPv4 (1 word) or IPv6 (4 words) address. */
  ipadd?: boolean;
  /** Shown as "NAME | NAME" from one of the flag tables in `crit-flags.ts`. */
  flags?: string;
  /** A dev_t in the kernel's internal layout (20 minor bits), shown "major:minor". */
  dev?: boolean;
  /** With dev: the dev_t is in the userspace (glibc) layout. */
  odev?: boolean;
  /** Shown by name from one of the value tables in `crit-flags.ts`. */
  dict?: string;
  /** A bytes field with its own text conversion instead of base64 ("unix_name"). */
  conv?: string;
}

export type ScalarType =
  | 'double' | 'float'
  | 'int32' | 'int64' | 'uint32' | 'uint64' | 'sint32' | 'sint64'
  | 'fixed32' | 'fixed64' | 'sfixed32' | 'sfixed64'
  | 'bool' | 'string' | 'bytes';

export interface FieldDescriptor {
  rule?: 'required' | 'repeated';
  type: string;
  id: number;
  options?: Record<string, unknown>;
}

export interface MessageDescriptor {
  fields: Record<string, FieldDescriptor>;
  nested?: Record<string, MessageDescriptor | EnumDescriptor>;
}

export interface EnumDescriptor {
  values: Record<string, number>;
}

/** Extra field settings: crit's display hints, `packed` for repeated scalars, a proto2 default. */
export interface FieldExtras extends CritHint {
  packed?: boolean;
  default?: unknown;
}

function field(rule: FieldDescriptor['rule'], id: number, type: string, extras?: FieldExtras): FieldDescriptor {
  const descriptor: FieldDescriptor = { type, id };
  if (rule) descriptor.rule = rule;
  if (extras) {
    const { packed, default: defaultValue, ...hint } = extras;
    const options: Record<string, unknown> = {};
    if (packed !== undefined) options.packed = packed;
    if (defaultValue !== undefined) options.default = defaultValue;
    // crit's hints ride along as custom options, where the JSON converters look for them.
    for (const [key, value] of Object.entries(hint)) options[`(criu).${key}`] = value;
    if (Object.keys(options).length > 0) descriptor.options = options;
  }
  return descriptor;
}

/** A proto2 `required` field. */
export const required = (id: number, type: ScalarType | string, extras?: FieldExtras) =>
  field('required', id, type, extras);

/** A proto2 `optional` field. */
export const optional = (id: number, type: ScalarType | string, extras?: FieldExtras) =>
  field(undefined, id, type, extras);

/** A proto2 `repeated` field (unpacked unless `packed: true`, as in proto2). */
export const repeated = (id: number, type: ScalarType | string, extras?: FieldExtras) =>
  field('repeated', id, type, extras);

/** A message type; `nested` holds the enums and messages declared inside it. */
export function message(
  fields: Record<string, FieldDescriptor>,
  nested?: Record<string, MessageDescriptor | EnumDescriptor>,
): MessageDescriptor {
  return nested ? { fields, nested } : { fields };
}

/** An enum type. */
export function enumeration(values: Record<string, number>): EnumDescriptor {
  return { values };
}

/** The messages and enums of one schema file, keyed by their protobuf names. */
export type SchemaFile = Record<string, MessageDescriptor | EnumDescriptor>;
