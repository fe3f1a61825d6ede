import { message, required, type SchemaFile } from './define.js';

/** A UTS namespace's host and domain names (CRIU `utsns.proto`). */
export const utsnsSchema: SchemaFile = {
  utsns_entry: message({
    nodename: required(1, 'string'),
    domainname: required(2, 'string'),
  }),
};
