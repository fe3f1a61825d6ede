/**
 * How to read each image message straight off the wire and show it as crit does: per field
 * number its name, protobuf type, wire type, crit's display hints and the nested message's plan.
 * Plans are built once per message type, on first use, from the schema descriptors alone, so
 * decoding never builds the protobufjs root (which costs more than a small image's whole decode).
 */
import { FLAG_TABLES, type FlagTable, VALUE_TABLES } from './crit-json/crit-hints.js';
import type { EnumDescriptor, FieldDescriptor, MessageDescriptor } from './schema/define.js';
import { SCHEMA_FILES } from './schema/schema-files.js';

/** A field's protobuf scalar type, or "message" / "enum" for a named type. */
export type FieldType =
  | 'double' | 'float'
  | 'int32' | 'int64' | 'uint32' | 'uint64' | 'sint32' | 'sint64'
  | 'fixed32' | 'fixed64' | 'sfixed32' | 'sfixed64'
  | 'bool' | 'string' | 'bytes' | 'message' | 'enum';

export interface FieldPlan {
  readonly name: string;
  readonly number: number;
  readonly type: FieldType;
  readonly repeated: boolean;
  readonly required: boolean;
  /** The wire type a single value of this field is written with. */
  readonly wireType: number;
  /** Scalars of a repeated numeric field may also come packed (wire type 2), whatever the schema says. */
  readonly packable: boolean;
  /** The schema asks for the packed form when writing (proto2: only when marked so). */
  readonly packed: boolean;
  /** 64-bit integers: bigint in library values (see message-values.ts). */
  readonly long: boolean;
  /** Any integer type but enums: what crit's integer hints (hex, flags, dev, dict) apply to. */
  readonly integer: boolean;
  /** The nested message's plan. */
  readonly message: MessagePlan | undefined;
  readonly enumNames: ReadonlyMap<number, string> | undefined;
  readonly enumValues: Readonly<Record<string, number>> | undefined;
  // crit's `--pretty` hints (see schema/define.ts)
  readonly hex: boolean;
  readonly ipadd: boolean;
  /** The flag table's name (an unknown name is shown as hex) and the table itself. */
  readonly flags: string | undefined;
  readonly flagTable: FlagTable | undefined;
  readonly dev: boolean;
  readonly odev: boolean;
  /** The value table's name and, for this field, its value-to-name map. */
  readonly dict: string | undefined;
  readonly dictNames: ReadonlyMap<number, string> | undefined;
  readonly conv: string | undefined;
}

export interface MessagePlan {
  /** The full protobuf name, e.g. "core_entry" or "core_entry.march". */
  readonly name: string;
  /** Fields by field number: the order protobuf-c writes them and crit shows them. */
  readonly fields: readonly FieldPlan[];
  /** Field by field number, undefined for numbers the schema does not know. */
  readonly byNumber: ReadonlyArray<FieldPlan | undefined>;
  readonly required: readonly FieldPlan[];
}

/** The plan of a message type by its full CRIU name, e.g. "pagemap_entry". */
export function messagePlan(fullName: string): MessagePlan {
  const cached = PLANS.get(fullName);
  if (cached) return cached;
  const descriptor = descriptors().get(fullName);
  if (!descriptor || !('fields' in descriptor)) throw new Error(`no message type ${fullName} in the schema`);
  return buildPlan(fullName, descriptor);
}

const PLANS = new Map<string, MessagePlan>();
let DESCRIPTORS: Map<string, MessageDescriptor | EnumDescriptor> | undefined;

/** Every message and enum by full name, nested ones as "outer.inner". */
function descriptors(): Map<string, MessageDescriptor | EnumDescriptor> {
  if (DESCRIPTORS) return DESCRIPTORS;
  const all = new Map<string, MessageDescriptor | EnumDescriptor>();
  const add = (prefix: string, scope: Record<string, MessageDescriptor | EnumDescriptor>) => {
    for (const [name, descriptor] of Object.entries(scope)) {
      all.set(prefix + name, descriptor);
      if ('nested' in descriptor && descriptor.nested) add(`${prefix}${name}.`, descriptor.nested);
    }
  };
  for (const file of SCHEMA_FILES) add('', file);
  DESCRIPTORS = all;
  return all;
}

/** Resolves a type name as protobuf does: in the message's own scope first, then outwards. */
function resolveTypeName(scope: string, typeName: string): string {
  const parts = scope.split('.');
  for (let depth = parts.length; depth >= 0; depth--) {
    const candidate = [...parts.slice(0, depth), typeName].join('.');
    if (descriptors().has(candidate)) return candidate;
  }
  throw new Error(`schema: ${scope} refers to unknown type ${typeName}`);
}

const WIRE_TYPES: Readonly<Record<string, number>> = {
  double: 1, fixed64: 1, sfixed64: 1,
  float: 5, fixed32: 5, sfixed32: 5,
  string: 2, bytes: 2, message: 2,
};
const LONG_TYPES = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const INTEGER_TYPES = new Set([...LONG_TYPES, 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);

function buildPlan(fullName: string, descriptor: MessageDescriptor): MessagePlan {
  const fields: FieldPlan[] = [];
  const plan: MessagePlan = { name: fullName, fields, byNumber: [], required: [] };
  // cached before its fields are built (and filled in place), so a message that refers back to
  // itself, directly or not, finds it
  PLANS.set(fullName, plan);
  for (const [name, field] of Object.entries(descriptor.fields)) fields.push(fieldPlan(fullName, name, field));
  fields.sort((a, b) => a.number - b.number);
  const byNumber = plan.byNumber as (FieldPlan | undefined)[];
  for (const field of fields) byNumber[field.number] = field;
  for (let i = 0; i < byNumber.length; i++) byNumber[i] ??= undefined; // no holes: a packed array stays fast
  (plan.required as FieldPlan[]).push(...fields.filter((field) => field.required));
  return plan;
}

function fieldPlan(scope: string, name: string, field: FieldDescriptor): FieldPlan {
  const hint = (key: string) => field.options?.[`(criu).${key}`] as unknown;
  let type = field.type as FieldType;
  let nestedName: string | undefined;
  let enumType: EnumDescriptor | undefined;
  if (!(field.type in SCALAR_TYPES)) {
    nestedName = resolveTypeName(scope, field.type);
    const target = descriptors().get(nestedName)!;
    if ('values' in target) {
      type = 'enum';
      enumType = target;
    } else type = 'message';
  }
  const flags = hint('flags') as string | undefined;
  const dict = hint('dict') as string | undefined;
  const enumNames = enumType ? new Map<number, string>() : undefined;
  // the first name of an aliased value is the one protobuf shows
  if (enumType) for (const [valueName, value] of Object.entries(enumType.values)) if (!enumNames!.has(value)) enumNames!.set(value, valueName);
  return {
    name,
    number: field.id,
    type,
    repeated: field.rule === 'repeated',
    required: field.rule === 'required',
    wireType: WIRE_TYPES[type] ?? 0,
    packable: field.rule === 'repeated' && (WIRE_TYPES[type] ?? 0) !== 2,
    packed: field.rule === 'repeated' && (WIRE_TYPES[type] ?? 0) !== 2 && field.options?.packed === true,
    long: LONG_TYPES.has(type),
    integer: INTEGER_TYPES.has(type),
    message: type === 'message' ? messagePlan(nestedName!) : undefined,
    enumNames,
    enumValues: enumType?.values,
    hex: hint('hex') === true,
    ipadd: hint('ipadd') === true,
    flags,
    flagTable: flags === undefined ? undefined : FLAG_TABLES[flags],
    dev: hint('dev') === true,
    odev: hint('odev') === true,
    dict,
    dictNames: dict === undefined ? undefined : VALUE_TABLES[dict]?.[name],
    conv: hint('conv') as string | undefined,
  };
}

const SCALAR_TYPES: Readonly<Record<string, true>> = {
  double: true, float: true, int32: true, int64: true, uint32: true, uint64: true, sint32: true, sint64: true,
  fixed32: true, fixed64: true, sfixed32: true, sfixed64: true, bool: true, string: true, bytes: true,
};
