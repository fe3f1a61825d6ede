/*
 * Inet sockets, which the test uses after a restore and the program checks itself.
 *   tcp4:   a TCP listener on 127.0.0.1 (SO_REUSEADDR, TCP_NODELAY, backlog 7): each connection gets
 *           "hello N".
 *   tcp6:   a non-blocking TCP listener on ::1 with IPV6_V6ONLY: the same.
 *   udp4:   a UDP socket bound on 127.0.0.1, to the device lo (SO_BINDTODEVICE), with a classic BPF
 *           filter that takes every packet: each datagram is sent back as "echo:DATA".
 *   udp6:   a UDP socket connected to [::1]:9 (bound to a port of the kernel's choice by connect).
 *   closed: a TCP socket never bound, with SO_KEEPALIVE.
 * Writes "pid=P", the ports and udp6's local port to DIR/info; serves until killed; once
 * DIR/check appears it checks each socket's options and addresses and writes DIR/result.
 * With "established": a TCP connection to its own listener, accepted, for the dump to refuse.
 * With "connection": the same connection with bytes unread at each end; writes "pid=P" and both
 * ports to DIR/info; once DIR/check appears each end reads what the other sent before the dump,
 * then they talk again, and DIR/result says how it went.
 * With "echo": a TCP listener that accepts one connection and sends back "echo:" and whatever it
 * reads on it, for a peer outside the tree; writes "pid=P" and "port=N" to DIR/info.
 * With "full": a connection whose client wrote a counted pattern until its send buffer was full, the
 * server reading none of it (megabytes queued at both ends); once DIR/check appears the server reads
 * it all and DIR/result says whether every byte came in order ("bytes=N\nintact=1").
 * With "connecting": writes "pid=P" and its listener's "port=N" to DIR/info, and once DIR/go appears
 * (the test drops the packets to that port meanwhile) connects to it without waiting (SYN_SENT) and
 * writes DIR/connecting; once DIR/check appears it waits for the connection to be made, accepts it,
 * and both ends exchange a greeting ("states=1\nmade=1\ntalk=1").
 * With "halfclosed": a connection whose client sent "to-server" and shut its side (FIN_WAIT2) while
 * the server, which has not read it (CLOSE_WAIT), sent "to-client"; once DIR/check appears both
 * check their states, read what the other sent and the end of the client's side, the server sends
 * "last" and shuts its side too, and the client reads that and the end.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/filter.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../run-dir.h"

static int one = 1;

static int port_of(int fd)
{
	struct sockaddr_in6 a;
	socklen_t len = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &len);
	return ntohs(a.sin6_port); /* sin_port and sin6_port are at the same offset */
}

static int tcp4_listener(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 7) < 0) return -1;
	return fd;
}

/* A TCP client on 127.0.0.1 connecting to `listener` (`flags`: SOCK_NONBLOCK for a connect that does not wait). */
static int connect_to(int listener, int flags)
{
	int client = socket(AF_INET, SOCK_STREAM | flags, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port_of(listener)), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	connect(client, (struct sockaddr *)&a, sizeof(a));
	return client;
}

static int int_option(int fd, int level, int option)
{
	int value = -1;
	socklen_t len = sizeof(value);
	getsockopt(fd, level, option, &value, &len);
	return value;
}

/* Reads exactly `text` from `fd` within 5 seconds. */
static int reads(int fd, const char *text)
{
	char buffer[64];
	size_t want = strlen(text), got = 0;
	while (got < want) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 5000) != 1) return 0;
		ssize_t n = read(fd, buffer + got, want - got);
		if (n <= 0) return 0;
		got += n;
	}
	return memcmp(buffer, text, want) == 0;
}

static int connection(int listener)
{
	int client = connect_to(listener, 0);
	int server = accept(listener, NULL, NULL);
	write(client, "to-server", 9);
	write(server, "to-client", 9);
	char info[128];
	snprintf(info, sizeof(info), "pid=%d\nserver=%d\nclient=%d\n", getpid(), port_of(server), port_of(client));
	put("info", info);
	wait_for("check");
	int unread = reads(server, "to-server") && reads(client, "to-client");
	int talk = write(client, "after", 5) == 5 && reads(server, "after") && write(server, "back", 4) == 4 && reads(client, "back");
	struct sockaddr_in peer;
	socklen_t len = sizeof(peer);
	int ports = getpeername(client, (struct sockaddr *)&peer, &len) == 0 && ntohs(peer.sin_port) == port_of(server);
	char result[128];
	snprintf(result, sizeof(result), "unread=%d\ntalk=%d\nports=%d\n", unread, talk, ports);
	put("result", result);
	for (;;) pause();
	return 0;
}

static int tcp_state(int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);
	getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len);
	return info.tcpi_state;
}

/* The end of `fd`'s data: read gives 0 within 5 seconds. */
static int ends(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;
	return poll(&p, 1, 5000) == 1 && read(fd, &c, 1) == 0;
}

static int full(int listener)
{
	int client = connect_to(listener, 0);
	int server = accept(listener, NULL, NULL);
	fcntl(client, F_SETFL, O_NONBLOCK);
	unsigned char block[4096];
	long written = 0;
	for (int idle = 0; idle < 50;) {
		for (size_t i = 0; i < sizeof(block); i++) block[i] = (unsigned char)((written + i) * 7);
		ssize_t n = write(client, block, sizeof(block));
		if (n > 0) {
			written += n;
			idle = 0;
		} else {
			idle++; /* the window may still open a little as the server's queue grows */
			usleep(2000);
		}
	}
	char info[128];
	snprintf(info, sizeof(info), "pid=%d\nwritten=%ld\n", getpid(), written);
	put("info", info);
	wait_for("check");
	long got = 0;
	int intact = 1;
	while (got < written) {
		struct pollfd p = { .fd = server, .events = POLLIN };
		if (poll(&p, 1, 5000) != 1) break;
		ssize_t n = read(server, block, sizeof(block));
		if (n <= 0) break;
		for (ssize_t i = 0; i < n; i++) intact &= block[i] == (unsigned char)((got + i) * 7);
		got += n;
	}
	char result[128];
	snprintf(result, sizeof(result), "bytes=%ld\nintact=%d\n", got, intact);
	put("result", result);
	for (;;) pause();
	return 0;
}

static int connecting(int listener)
{
	char info[64];
	snprintf(info, sizeof(info), "pid=%d\nport=%d\n", getpid(), port_of(listener));
	put("info", info);
	wait_for("go");
	int client = connect_to(listener, SOCK_NONBLOCK);
	put("connecting", "");
	wait_for("check");
	int states = tcp_state(client) == TCP_SYN_SENT;
	struct pollfd p = { .fd = client, .events = POLLOUT };
	int error = -1;
	socklen_t len = sizeof(error);
	int made = poll(&p, 1, 10000) == 1 && getsockopt(client, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0;
	int server = made ? accept(listener, NULL, NULL) : -1;
	int talk = server >= 0 && write(client, "hi", 2) == 2 && reads(server, "hi") && write(server, "ho", 2) == 2 && reads(client, "ho");
	char result[64];
	snprintf(result, sizeof(result), "states=%d\nmade=%d\ntalk=%d\n", states, made, talk);
	put("result", result);
	for (;;) pause();
	return 0;
}

static int halfclosed(int listener)
{
	int client = connect_to(listener, 0);
	int server = accept(listener, NULL, NULL);
	write(client, "to-server", 9);
	shutdown(client, SHUT_WR);
	write(server, "to-client", 9);
	while (tcp_state(client) != TCP_FIN_WAIT2 || tcp_state(server) != TCP_CLOSE_WAIT) usleep(1000);
	char info[128];
	snprintf(info, sizeof(info), "pid=%d\nserver=%d\nclient=%d\n", getpid(), port_of(server), port_of(client));
	put("info", info);
	wait_for("check");
	int states = tcp_state(client) == TCP_FIN_WAIT2 && tcp_state(server) == TCP_CLOSE_WAIT;
	int unread = reads(server, "to-server") && ends(server) && reads(client, "to-client");
	int closing = write(server, "last", 4) == 4 && shutdown(server, SHUT_WR) == 0 && reads(client, "last") && ends(client);
	char result[128];
	snprintf(result, sizeof(result), "states=%d\nunread=%d\nclosing=%d\n", states, unread, closing);
	put("result", result);
	for (;;) pause();
	return 0;
}

static int echo(int listener)
{
	char info[64];
	snprintf(info, sizeof(info), "pid=%d\nport=%d\n", getpid(), port_of(listener));
	put("info", info);
	int c = accept(listener, NULL, NULL);
	for (;;) {
		char data[256], answer[300];
		ssize_t n = read(c, data, sizeof(data) - 1);
		if (n < 0) continue; /* interrupted */
		if (n == 0) return 0;
		data[n] = 0;
		int m = snprintf(answer, sizeof(answer), "echo:%s", data);
		write(c, answer, m);
	}
}

int main(int argc, char **argv)
{
	dir = argv[1];
	int tcp4 = tcp4_listener();
	if (argc > 2 && strcmp(argv[2], "connection") == 0) return connection(tcp4);
	if (argc > 2 && strcmp(argv[2], "echo") == 0) return echo(tcp4);
	if (argc > 2 && strcmp(argv[2], "halfclosed") == 0) return halfclosed(tcp4);
	if (argc > 2 && strcmp(argv[2], "full") == 0) return full(tcp4);
	if (argc > 2 && strcmp(argv[2], "connecting") == 0) return connecting(tcp4);
	if (argc > 2 && strcmp(argv[2], "established") == 0) {
		connect_to(tcp4, 0); /* the client stays open, unused */
		int accepted = accept(tcp4, NULL, NULL);
		char info[64];
		snprintf(info, sizeof(info), "pid=%d\nfd=%d\n", getpid(), accepted);
		put("info", info);
		for (;;) pause();
	}

	setsockopt(tcp4, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	int tcp6 = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = in6addr_loopback };
	setsockopt(tcp6, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	bind(tcp6, (struct sockaddr *)&a6, sizeof(a6));
	listen(tcp6, 3);

	int udp4 = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bind(udp4, (struct sockaddr *)&a4, sizeof(a4));
	setsockopt(udp4, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
	struct sock_filter take_all[] = { BPF_STMT(BPF_RET | BPF_K, 0xffff) };
	struct sock_fprog program = { .len = 1, .filter = take_all };
	setsockopt(udp4, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program));

	int udp6 = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 discard = { .sin6_family = AF_INET6, .sin6_port = htons(9), .sin6_addr = in6addr_loopback };
	connect(udp6, (struct sockaddr *)&discard, sizeof(discard));

	int closed = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(closed, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));

	char info[256];
	snprintf(info, sizeof(info), "pid=%d\ntcp4=%d\ntcp6=%d\nudp4=%d\nudp6=%d\n", getpid(), port_of(tcp4), port_of(tcp6), port_of(udp4), port_of(udp6));
	put("info", info);

	int served = 0;
	for (;;) {
		struct pollfd p[3] = { { .fd = tcp4, .events = POLLIN }, { .fd = tcp6, .events = POLLIN }, { .fd = udp4, .events = POLLIN } };
		if (poll(p, 3, 100) > 0) {
			for (int i = 0; i < 2; i++) {
				if (!(p[i].revents & POLLIN)) continue;
				int c = accept(p[i].fd, NULL, NULL);
				if (c < 0) continue;
				char hello[32];
				int n = snprintf(hello, sizeof(hello), "hello %d", ++served);
				write(c, hello, n);
				close(c);
			}
			if (p[2].revents & POLLIN) {
				char data[256], echo[300];
				struct sockaddr_in from;
				socklen_t len = sizeof(from);
				ssize_t n = recvfrom(udp4, data, sizeof(data) - 1, 0, (struct sockaddr *)&from, &len);
				if (n >= 0) {
					data[n] = 0;
					int m = snprintf(echo, sizeof(echo), "echo:%s", data);
					sendto(udp4, echo, m, 0, (struct sockaddr *)&from, len);
				}
			}
		}
		if (exists("check") && !exists("result")) {
			struct sockaddr_in6 peer;
			socklen_t len = sizeof(peer);
			int udp6_peer = getpeername(udp6, (struct sockaddr *)&peer, &len) == 0 && ntohs(peer.sin6_port) == 9 &&
				memcmp(&peer.sin6_addr, &in6addr_loopback, sizeof(peer.sin6_addr)) == 0;
			char device[16] = "";
			socklen_t device_len = sizeof(device);
			getsockopt(udp4, SOL_SOCKET, SO_BINDTODEVICE, device, &device_len);
			socklen_t filter_len = 0;
			getsockopt(udp4, SOL_SOCKET, SO_GET_FILTER, NULL, &filter_len);
			char result[320];
			snprintf(result, sizeof(result), "udp4_device=%s\nudp4_filter=%u\n", device, filter_len);
			snprintf(result + strlen(result), sizeof(result) - strlen(result),
				 "tcp4_reuse=%d\ntcp4_nodelay=%d\ntcp6_v6only=%d\ntcp6_nonblock=%d\nudp6_peer=%d\nclosed_keepalive=%d\nclosed_unbound=%d\n",
				 int_option(tcp4, SOL_SOCKET, SO_REUSEADDR), int_option(tcp4, IPPROTO_TCP, TCP_NODELAY), int_option(tcp6, IPPROTO_IPV6, IPV6_V6ONLY),
				 (fcntl(tcp6, F_GETFL) & O_NONBLOCK) != 0, udp6_peer, int_option(closed, SOL_SOCKET, SO_KEEPALIVE),
				 port_of(closed) == 0);
			put("result", result);
		}
	}
}
