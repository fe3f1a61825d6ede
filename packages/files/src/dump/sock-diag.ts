import { addressOf, hostArch, kbuf, keepAlive, sys } from '@criu-ts/ptrace';
import { refuse } from '@criu-ts/subsystem';

const AF_NETLINK = 16;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_SOCK_DIAG = 4;
const SOCK_DIAG_BY_FAMILY = 20;
const NLM_F_REQUEST = 1;
const NLM_F_DUMP = 0x300;
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLMSG_HEADER = 16;

/**
 * One NETLINK_SOCK_DIAG dump of this network namespace's sockets: `request` is what follows the
 * netlink header (unix_diag_req, inet_diag_req_v2); the answer's messages, each without its header
 * and at least `minimum` bytes long. `what` names the sockets asked for in a refusal; `step`, the
 * dump step.
 */
export function sockDiagDump(step: string, what: string, request: Uint8Array, minimum: number): Buffer[] {
  const nr = hostArch().syscalls;
  const sock = sys(nr.socket, AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (sock < 0) return refuse(step, undefined, `cannot open a sock_diag netlink socket: errno ${-sock}`);
  try {
    const message = kbuf(NLMSG_HEADER + request.length);
    message.writeUInt32LE(message.length, 0);
    message.writeUInt16LE(SOCK_DIAG_BY_FAMILY, 4);
    message.writeUInt16LE(NLM_F_REQUEST | NLM_F_DUMP, 6);
    message.writeUInt32LE(1, 8);
    message.set(request, NLMSG_HEADER);
    const sent = sys(nr.sendto, sock, addressOf(message), message.length, 0, 0, 0);
    keepAlive(message);
    if (sent < 0) return refuse(step, undefined, `cannot ask sock_diag for the ${what}: errno ${-sent}`);
    const answers: Buffer[] = [];
    const buffer = kbuf(1 << 16);
    for (;;) {
      const n = sys(nr.recvfrom, sock, addressOf(buffer), buffer.length, 0, 0, 0);
      if (n < 0) return refuse(step, undefined, `cannot read sock_diag's answer: errno ${-n}`);
      for (let at = 0; at + NLMSG_HEADER <= n; ) {
        const length = buffer.readUInt32LE(at);
        const type = buffer.readUInt16LE(at + 4);
        if (type === NLMSG_DONE) return answers;
        if (type === NLMSG_ERROR) return refuse(step, undefined, `sock_diag refused the dump of the ${what}: errno ${-buffer.readInt32LE(at + NLMSG_HEADER)}`);
        if (length < NLMSG_HEADER + minimum || at + length > n) return refuse(step, undefined, 'sock_diag answered a malformed message');
        answers.push(Buffer.from(buffer.subarray(at + NLMSG_HEADER, at + length)));
        at += align(length);
      }
    }
  } finally {
    sys(nr.close, sock);
  }
}

export const align = (n: number) => (n + 3) & ~3;
