/** Socket numbers of the kernel's ABI that both halves of the socket kinds use. */

export const SOL_SOCKET = 1;
/** SOL_SOCKET options. */
export const SO_REUSEADDR = 2;
export const SO_TYPE = 3;
export const SO_DONTROUTE = 5;
export const SO_BROADCAST = 6;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_KEEPALIVE = 9;
export const SO_OOBINLINE = 10;
export const SO_NO_CHECK = 11;
export const SO_PRIORITY = 12;
export const SO_REUSEPORT = 15;
export const SO_PASSCRED = 16;
export const SO_RCVLOWAT = 18;
export const SO_RCVTIMEO = 20;
export const SO_SNDTIMEO = 21;
export const SO_BINDTODEVICE = 25;
/** SO_ATTACH_FILTER to set a classic BPF program, SO_GET_FILTER (the same number) to read it. */
export const SO_ATTACH_FILTER = 26;
export const SO_SNDBUFFORCE = 32;
export const SO_RCVBUFFORCE = 33;
export const SO_PASSSEC = 34;
export const SO_MARK = 36;
export const SO_PROTOCOL = 38;
export const SO_DOMAIN = 39;

/** recv flags. */
export const MSG_PEEK = 2;
export const MSG_DONTWAIT = 0x40;
/** A socket's queued byte counts: unread (SIOCINQ), not acknowledged or not sent (SIOCOUTQ), not sent (SIOCOUTQNSD). */
export const FIONREAD = 0x541b;
export const TIOCOUTQ = 0x5411;
export const SIOCOUTQNSD = 0x894b;

export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_IPV6 = 41;
export const IPV6_V6ONLY = 26;

/** Socket states, as the kernel and CRIU's images name them (a UDP socket is CLOSE or ESTABLISHED). */
export const TCP_ESTABLISHED = 1;
export const TCP_SYN_SENT = 2;
export const TCP_FIN_WAIT1 = 4;
export const TCP_FIN_WAIT2 = 5;
export const TCP_CLOSE = 7;
export const TCP_CLOSE_WAIT = 8;
export const TCP_LAST_ACK = 9;
export const TCP_LISTEN = 10;
export const TCP_CLOSING = 11;

/** IPPROTO_TCP options, and TCP repair's (CAP_NET_ADMIN). */
export const TCP_NODELAY = 1;
export const TCP_MAXSEG = 2;
export const TCP_CORK = 3;
export const TCP_KEEPIDLE = 4;
export const TCP_KEEPINTVL = 5;
export const TCP_KEEPCNT = 6;
export const TCP_INFO = 11;
export const TCP_REPAIR = 19;
export const TCP_REPAIR_QUEUE = 20;
export const TCP_QUEUE_SEQ = 21;
export const TCP_REPAIR_OPTIONS = 22;
export const TCP_TIMESTAMP = 24;
export const TCP_REPAIR_WINDOW = 29;
/** TCP_REPAIR's value to leave repair mode without sending a window probe. */
export const TCP_REPAIR_OFF_NO_WP = -1;
/** TCP_REPAIR_QUEUE's queues. */
export const TCP_NO_QUEUE = 0;
export const TCP_RECV_QUEUE = 1;
export const TCP_SEND_QUEUE = 2;
/** tcp_info's tcpi_options bits (CRIU's opt_mask), and the TCP option codes of TCP_REPAIR_OPTIONS. */
export const TCPI_OPT_TIMESTAMPS = 1;
export const TCPI_OPT_SACK = 2;
export const TCPI_OPT_WSCALE = 4;
export const TCPOPT_MSS = 2;
export const TCPOPT_WINDOW = 3;
export const TCPOPT_SACK_PERM = 4;
export const TCPOPT_TIMESTAMP = 8;
