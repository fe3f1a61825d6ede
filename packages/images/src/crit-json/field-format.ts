/** How crit shows one field: the display hints of a protobuf field, read once and cached. */
import protobuf from 'protobufjs';
import { isLongType } from '../message-values.js';

export interface FieldFormat {
  readonly name: string;
  readonly field: protobuf.Field;
  readonly repeated: boolean;
  readonly kind: 'message' | 'enum' | 'bytes' | 'integer' | 'long' | 'bool' | 'string' | 'float';
  readonly message?: protobuf.Type;
  readonly enumType?: protobuf.Enum;
  readonly hex: boolean;
  readonly ipadd: boolean;
  readonly flags?: string;
  readonly dev: boolean;
  readonly odev: boolean;
  readonly dict?: string;
  readonly conv?: string;
}

const FORMATS = new WeakMap<protobuf.Type, FieldFormat[]>();

/** The fields of a message in field-number order, with their display hints. */
export function fieldFormats(type: protobuf.Type): FieldFormat[] {
  let formats = FORMATS.get(type);
  if (!formats) {
    formats = [...type.fieldsArray].sort((a, b) => a.id - b.id).map(formatOf);
    FORMATS.set(type, formats);
  }
  return formats;
}

function formatOf(field: protobuf.Field): FieldFormat {
  field.resolve();
  const hint = (key: string) => field.options?.[`(criu).${key}`] as unknown;
  const resolved = field.resolvedType;
  const kind: FieldFormat['kind'] =
    resolved instanceof protobuf.Type
      ? 'message'
      : resolved instanceof protobuf.Enum
        ? 'enum'
        : field.type === 'bytes'
          ? 'bytes'
          : field.type === 'bool'
            ? 'bool'
            : field.type === 'string'
              ? 'string'
              : field.type === 'double' || field.type === 'float'
                ? 'float'
                : isLongType(field.type)
                  ? 'long'
                  : 'integer';
  return {
    name: field.name,
    field,
    repeated: field.repeated,
    kind,
    message: resolved instanceof protobuf.Type ? resolved : undefined,
    enumType: resolved instanceof protobuf.Enum ? resolved : undefined,
    hex: hint('hex') === true,
    ipadd: hint('ipadd') === true,
    flags: hint('flags') as string | undefined,
    dev: hint('dev') === true,
    odev: hint('odev') === true,
    dict: hint('dict') as string | undefined,
    conv: hint('conv') as string | undefined,
  };
}
