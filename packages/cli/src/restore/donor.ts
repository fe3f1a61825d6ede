/**
 * The donor: a plain process started outside our process tree, seized, in which the restored root
 * is cloned with its PID. Its only job is to lend a running address space: everything of it the
 * restored tasks inherit is torn down and rebuilt from the images.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freezeTree, type FrozenTree, DEFAULT_SEIZE_OPTIONS, PTRACE_O } from '@criu-ts/ptrace';
import { RestoreFault } from '@criu-ts/subsystem';

/**
 * Starts `sleep infinity` in a session of its own. It is started by a shell that exits at once, so
 * its parent is init, never this process: Node would reap it and steal its ptrace stops otherwise.
 */
export function startDonor(): FrozenTree {
  const run = spawnSync('sh', ['-c', 'setsid sleep infinity </dev/null >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' });
  const pid = Number(run.stdout.trim());
  if (run.status !== 0 || !Number.isInteger(pid) || pid <= 0) throw new RestoreFault('donor', `could not start a donor process: ${run.stderr}`);
  // seize it once it runs sleep, not while the shell still forks or execs it
  const deadline = Date.now() + 5000;
  while (readComm(pid) !== 'sleep') {
    if (Date.now() > deadline) throw new RestoreFault('donor', `donor ${pid} did not start`);
  }
  // children it clones (the restored tasks) are traced from their first instruction
  const frozen = freezeTree(pid, { options: DEFAULT_SEIZE_OPTIONS | PTRACE_O.TRACEFORK | PTRACE_O.TRACECLONE });
  if (frozen._tag === 'Left') throw new RestoreFault('donor', `could not seize donor ${pid}: ${frozen.left.message}`);
  return frozen.right;
}

function readComm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}
