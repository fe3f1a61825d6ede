/**
 * Messages as this package hands them out: plain objects keyed by CRIU's field names, holding
 * only the fields present on the wire (an empty repeated field counts as absent, as in crit).
 * 64-bit integers are `bigint`, smaller ones and enums are `number`, bytes are `Uint8Array`.
 */

export type MessageValue = { [field: string]: FieldValue };
export type ScalarValue = number | bigint | boolean | string | Uint8Array;
export type FieldValue = ScalarValue | MessageValue | ScalarValue[] | MessageValue[];
