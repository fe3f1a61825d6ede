/**
 * The donor: a plain process started outside our process tree, seized, in which the restored root
 * is cloned with its PID. Its only job is to lend a running address space: everything of it the
 * restored tasks inherit is torn down and rebuilt from the images.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { addressOf, DEFAULT_SEIZE_OPTIONS, freezeTree, type FrozenTree, hostArch, kbuf, PTRACE_O, setOptions, sys, waitTask } from '@criu-ts/ptrace';
import { RestoreFault } from '@criu-ts/subsystem';

const O_CLOEXEC = 0o2000000;

/** A seized donor, and our end of the pipe it reads: it exits when that end closes, or when we die. */
export interface Donor {
  readonly tree: FrozenTree;
  readonly lifeline: number;
}

/**
 * Starts the donor in a session of its own, or, for a shell job (`inOurSession`), in ours and with
 * our controlling terminal, which the restored root inherits. It is started by a shell that exits at
 * once, so its parent is init, never this process (Node would reap it and steal its ptrace stops).
 * It is `head -c 1` reading a pipe only we write to: if we die before it is seized, it exits.
 */
export function startDonor(inOurSession = false): Donor {
  const nr = hostArch().syscalls;
  const ends = kbuf(8);
  if (sys(nr.pipe2, addressOf(ends), O_CLOEXEC) < 0) throw new RestoreFault('donor', 'could not make the donor\'s pipe');
  const [readEnd, lifeline] = [ends.readInt32LE(0), ends.readInt32LE(4)];
  let donor: FrozenTree | undefined;
  try {
    const head = `${inOurSession ? '' : 'setsid '}head -c 1 <&3 3<&- >/dev/null 2>&1`;
    const run = spawnSync('sh', ['-c', `${head} & echo $!`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', readEnd] });
    const pid = Number(run.stdout.trim());
    if (run.status !== 0 || !Number.isInteger(pid) || pid <= 0) throw new RestoreFault('donor', `could not start a donor process: ${run.stderr}`);
    // seize it once it runs head, not while the shell still forks or execs it
    const deadline = Date.now() + 5000;
    while (readComm(pid) !== 'head') {
      if (Date.now() > deadline) throw new RestoreFault('donor', `donor ${pid} did not start`);
    }
    // children it clones (the restored tasks) are traced from their first instruction
    const options = DEFAULT_SEIZE_OPTIONS | PTRACE_O.TRACEFORK | PTRACE_O.TRACECLONE;
    const frozen = freezeTree(pid, { options });
    if (frozen._tag === 'Left') throw new RestoreFault('donor', `could not seize donor ${pid}: ${frozen.left.message}`);
    donor = frozen.right;
    // ...and killed by the kernel if this process dies before it lets them go: a half-built task must
    // never run (the dump's freeze refuses this option; here it is the point)
    const exitKill = setOptions(pid, options | PTRACE_O.EXITKILL);
    if (exitKill._tag === 'Left') throw new RestoreFault('donor', `could not set PTRACE_O_EXITKILL on donor ${pid}: ${exitKill.left.message}`);
    return { tree: donor, lifeline };
  } catch (error) {
    if (donor === undefined) sys(nr.close, lifeline);
    throw error;
  } finally {
    sys(nr.close, readEnd);
  }
}

/** Kills the donor, collects its death (it is traced by us) and closes its pipe. */
export function killDonor(donor: Donor): void {
  try {
    process.kill(donor.tree.root, 'SIGKILL');
    for (;;) if (waitTask(donor.tree.root, 5000).kind !== 'stopped') break;
  } catch {
    // already gone
  }
  sys(hostArch().syscalls.close, donor.lifeline);
}

function readComm(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}
