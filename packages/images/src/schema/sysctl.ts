import { enumeration, message, optional, required, type SchemaFile } from './define.js';

/** One sysctl value (CRIU `sysctl.proto`), a string or a 32-bit integer. */
export const sysctlSchema: SchemaFile = {
  SysctlType: enumeration({
    CTL_STR: 5,
    CTL_32: 6,
  }),
  sysctl_entry: message({
    type: required(1, 'SysctlType'),
    iarg: optional(2, 'int32'),
    sarg: optional(3, 'string'),
  }),
};
