import { enumeration, message, optional, repeated, required, type SchemaFile } from './define.js';

/** The dumping host's CPU features (CRIU `cpuinfo.proto`), checked before restore. */
export const cpuinfoSchema: SchemaFile = {
  cpuinfo_x86_entry: message(
    {
      vendor_id: required(1, 'vendor'),
      cpu_family: required(2, 'uint32'),
      model: required(3, 'uint32'),
      stepping: required(4, 'uint32'),
      capability_ver: required(5, 'uint32'),
      capability: repeated(6, 'uint32'),
      model_id: optional(7, 'string'),
      xfeatures_mask: optional(8, 'uint64'),
      xsave_size: optional(9, 'uint32'),
      xsave_size_max: optional(10, 'uint32'),
    },
    {
      vendor: enumeration({
        UNKNOWN: 0,
        INTEL: 1,
        AMD: 2,
      }),
    },
  ),
  cpuinfo_ppc64_entry: message(
    {
      endian: required(1, 'endianness'),
      hwcap: repeated(2, 'uint64'),
    },
    {
      endianness: enumeration({
        BIGENDIAN: 0,
        LITTLEENDIAN: 1,
      }),
    },
  ),
  cpuinfo_s390_entry: message({
    hwcap: repeated(2, 'uint64'),
  }),
  cpuinfo_entry: message({
    // one entry per CPU model present: a host need not have identical CPUs
    x86_entry: repeated(1, 'cpuinfo_x86_entry'),
    ppc64_entry: repeated(2, 'cpuinfo_ppc64_entry'),
    s390_entry: repeated(3, 'cpuinfo_s390_entry'),
  }),
};
