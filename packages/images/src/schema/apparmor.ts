import { message, repeated, required, type SchemaFile } from './define.js';

/** AppArmor namespaces and their compiled policies (CRIU `apparmor.proto`). */
export const apparmorSchema: SchemaFile = {
  aa_policy: message({
    name: required(1, 'string'),
    blob: required(2, 'bytes'),
  }),
  aa_namespace: message({
    name: required(1, 'string'),
    policies: repeated(2, 'aa_policy'),
    namespaces: repeated(3, 'aa_namespace'),
  }),
  apparmor_entry: message({
    namespaces: repeated(1, 'aa_namespace'),
  }),
};
