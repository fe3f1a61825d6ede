import { message, optional, repeated, required, type SchemaFile } from './define.js';

/** Cgroup sets of the tasks and the controller hierarchies they live in (CRIU `cgroup.proto`). */
export const cgroupSchema: SchemaFile = {
  cgroup_perms: message({
    mode: required(1, 'uint32'),
    uid: required(2, 'uint32'),
    gid: required(3, 'uint32'),
  }),
  cgroup_prop_entry: message({
    name: required(1, 'string'),
    value: required(2, 'string'),
    perms: optional(3, 'cgroup_perms'),
  }),
  cgroup_dir_entry: message({
    dir_name: required(1, 'string'),
    children: repeated(2, 'cgroup_dir_entry'),
    properties: repeated(3, 'cgroup_prop_entry'),
    dir_perms: optional(4, 'cgroup_perms'),
  }),
  cg_controller_entry: message({
    cnames: repeated(1, 'string'),
    dirs: repeated(2, 'cgroup_dir_entry'),
    is_threaded: optional(3, 'bool'),
  }),
  cg_member_entry: message({
    name: required(1, 'string'),
    path: required(2, 'string'),
    // length of the path prefix hidden by the task's cgroup namespace
    cgns_prefix: optional(3, 'uint32'),
  }),
  cg_set_entry: message({
    id: required(1, 'uint32'),
    ctls: repeated(2, 'cg_member_entry'),
  }),
  cgroup_entry: message({
    sets: repeated(1, 'cg_set_entry'),
    controllers: repeated(2, 'cg_controller_entry'),
  }),
};
