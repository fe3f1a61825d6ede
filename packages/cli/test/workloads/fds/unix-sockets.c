/*
 * Unix sockets, checked by the program itself (and its child) after a restore.
 *   stream:  a socketpair shared with a child (the parent keeps one end, the child the other), a
 *            message unread in each direction; once DIR/check appears the child checks its own and
 *            answers through the pair.
 *   dgram:   a socketpair with three datagrams unread on one end, whose SO_RCVBUF was set.
 *   seq:     a SOCK_SEQPACKET pair with two records unread on one end, the other end shut down
 *            for writing: after the records the reader sees the end.
 *   listen:  a listening socket on an abstract name, and one on DIR/sock: both take connections.
 *   unconn:  an unconnected datagram socket on an abstract name with two datagrams unread.
 *   dconn:   a datagram socket connected to one bound to an abstract name, one datagram unread there.
 *   accept:  on the abstract listener, a connection accepted (a message unread at each end) and one
 *            still waiting to be accepted; a connection accepted from a listener on DIR/gone, which
 *            was closed since.
 *   orphans: a stream and a datagram socket whose peers sent a message and closed.
 *   perms:   the file of the listener on DIR/sock has mode 0640.
 *   deleted: a datagram socket bound to DIR/del/sock, whose file and directory were removed since.
 * With "unaccepted-data": only a listener on an abstract name and a client that sent bytes on its
 * connection before it was accepted. With "serve NAME": a listener on the abstract name NAME that accepts one connection.
 * With "connect NAME": only a client connected to NAME (another process's listener). For refusals:
 * these just wait.
 * Writes "pid=P" to DIR/info; once DIR/check appears it checks each and writes DIR/result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../run-dir.h"

static socklen_t address(struct sockaddr_un *sun, const char *name, int abstract)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (abstract) {
		strcpy(sun->sun_path + 1, name);
		return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
	}
	strcpy(sun->sun_path, name);
	return sizeof(*sun);
}

static int listening(const char *name, int abstract)
{
	struct sockaddr_un sun;
	socklen_t len = address(&sun, name, abstract);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(fd, (struct sockaddr *)&sun, len) < 0 || listen(fd, 5) < 0) return -1;
	return fd;
}

/* A new client connects to `name` and the listener `fd` accepts it. */
static int takes_connections(int fd, const char *name, int abstract)
{
	struct sockaddr_un sun;
	socklen_t len = address(&sun, name, abstract);
	int client = socket(AF_UNIX, SOCK_STREAM, 0);
	int ok = connect(client, (struct sockaddr *)&sun, len) == 0;
	int accepted = ok ? accept(fd, NULL, NULL) : -1;
	ok = ok && accepted >= 0 && write(client, "hi", 2) == 2;
	char got[4] = { 0 };
	ok = ok && read(accepted, got, sizeof(got)) == 2 && strcmp(got, "hi") == 0;
	close(client);
	if (accepted >= 0) close(accepted);
	return ok;
}

/* The next message is `want`: a datagram whole, or from a stream as many bytes as it has. */
static int reads(int fd, const char *want)
{
	char got[64] = { 0 };
	int type = 0;
	socklen_t size = sizeof(type);
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size);
	ssize_t n = recv(fd, got, type == SOCK_STREAM ? strlen(want) : sizeof(got) - 1, MSG_DONTWAIT);
	return n == (ssize_t)strlen(want) && memcmp(got, want, n) == 0;
}

static int empty(int fd)
{
	char got[8];
	return recv(fd, got, sizeof(got), MSG_DONTWAIT) < 0 && errno == EAGAIN;
}

/* The sockets a dump refuses, held until killed. */
static int refused(int argc, char **argv)
{
	char name[64], info[64];
	struct sockaddr_un sun;
	int client = socket(AF_UNIX, SOCK_STREAM, 0);
	if (strcmp(argv[2], "unaccepted-data") == 0) {
		snprintf(name, sizeof(name), "criu-ts-unaccepted-%d", getpid());
		int listener = listening(name, 1);
		socklen_t len = address(&sun, name, 1);
		if (listener < 0 || connect(client, (struct sockaddr *)&sun, len) < 0 || write(client, "early", 5) != 5) return 1;
	} else if (argc > 3 && strcmp(argv[2], "serve") == 0) {
		int listener = listening(argv[3], 1);
		if (listener < 0) return 1;
		snprintf(info, sizeof(info), "pid=%d\n", getpid());
		put("info", info);
		int accepted = accept(listener, NULL, NULL);
		(void)accepted;
		for (;;) pause();
	} else if (argc > 3) {
		socklen_t len = address(&sun, argv[3], 1);
		if (connect(client, (struct sockaddr *)&sun, len) < 0) return 1;
	}
	snprintf(info, sizeof(info), "pid=%d\n", getpid());
	put("info", info);
	for (;;) pause();
}

int main(int argc, char **argv)
{
	dir = argv[1];
	if (argc > 2) return refused(argc, argv);
	int stream[2], dgram[2], seq[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, stream);
	socketpair(AF_UNIX, SOCK_DGRAM, 0, dgram);
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, seq);

	pid_t child = fork();
	if (child == 0) {
		close(stream[0]);
		write(stream[1], "child->parent", 13);
		wait_for("check");
		/* what the parent sent before the dump is still there, and the answer goes back */
		struct pollfd p = { .fd = stream[1], .events = POLLIN };
		int ok = poll(&p, 1, 5000) == 1 && reads(stream[1], "parent->child");
		write(stream[1], ok ? "child-ok" : "child-bad", ok ? 8 : 9);
		for (;;) pause();
	}
	close(stream[1]);
	write(stream[0], "parent->child", 13);

	int rcvbuf = 100000;
	setsockopt(dgram[0], SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	socklen_t size = sizeof(rcvbuf);
	getsockopt(dgram[0], SOL_SOCKET, SO_RCVBUF, &rcvbuf, &size);
	send(dgram[1], "one", 3, 0);
	send(dgram[1], "two!", 4, 0);
	send(dgram[1], "three", 5, 0);

	send(seq[0], "rec1", 4, 0);
	send(seq[0], "record2", 7, 0);
	shutdown(seq[0], SHUT_WR);

	char abstract_name[64], path[4096];
	snprintf(abstract_name, sizeof(abstract_name), "criu-ts-listen-%d", getpid());
	snprintf(path, sizeof(path), "%s/sock", dir);
	int abstract_listener = listening(abstract_name, 1);
	int path_listener = listening(path, 0);

	char unconn_name[64];
	snprintf(unconn_name, sizeof(unconn_name), "criu-ts-unconn-%d", getpid());
	struct sockaddr_un sun;
	socklen_t len = address(&sun, unconn_name, 1);
	int unconn = socket(AF_UNIX, SOCK_DGRAM, 0);
	bind(unconn, (struct sockaddr *)&sun, len);
	int sender = socket(AF_UNIX, SOCK_DGRAM, 0);
	sendto(sender, "first", 5, 0, (struct sockaddr *)&sun, len);
	sendto(sender, "second", 6, 0, (struct sockaddr *)&sun, len);
	close(sender);

	char server_name[64];
	snprintf(server_name, sizeof(server_name), "criu-ts-dsrv-%d", getpid());
	struct sockaddr_un server_sun;
	socklen_t server_len = address(&server_sun, server_name, 1);
	int dserver = socket(AF_UNIX, SOCK_DGRAM, 0);
	bind(dserver, (struct sockaddr *)&server_sun, server_len);
	int dclient = socket(AF_UNIX, SOCK_DGRAM, 0);
	connect(dclient, (struct sockaddr *)&server_sun, server_len);
	send(dclient, "hello-srv", 9, 0);

	/* connections: one accepted from the abstract listener, one waiting on it, one accepted from a
	 * listener that is gone */
	struct sockaddr_un listen_sun, gone_sun;
	socklen_t listen_len = address(&listen_sun, abstract_name, 1);
	int client = socket(AF_UNIX, SOCK_STREAM, 0);
	connect(client, (struct sockaddr *)&listen_sun, listen_len);
	int accepted = accept(abstract_listener, NULL, NULL);
	write(client, "to-server", 9);
	write(accepted, "to-client", 9);
	int waiting_client = socket(AF_UNIX, SOCK_STREAM, 0);
	connect(waiting_client, (struct sockaddr *)&listen_sun, listen_len);
	char gone_path[4096];
	snprintf(gone_path, sizeof(gone_path), "%s/gone", dir);
	socklen_t gone_len = address(&gone_sun, gone_path, 0);
	int gone_listener = listening(gone_path, 0);
	int gone_client = socket(AF_UNIX, SOCK_STREAM, 0);
	connect(gone_client, (struct sockaddr *)&gone_sun, gone_len);
	int gone_accepted = accept(gone_listener, NULL, NULL);
	close(gone_listener);
	write(gone_client, "still", 5);

	int orphan[2], dorphan[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, orphan);
	socketpair(AF_UNIX, SOCK_DGRAM, 0, dorphan);
	write(orphan[1], "bye", 3);
	close(orphan[1]);
	send(dorphan[1], "last", 4, 0);
	close(dorphan[1]);
	chmod(path, 0640);
	char del_dir[4096], del_path[4096];
	snprintf(del_dir, sizeof(del_dir), "%s/del", dir);
	snprintf(del_path, sizeof(del_path), "%s/sock", del_dir);
	mkdir(del_dir, 0755);
	struct sockaddr_un del_sun;
	socklen_t del_len = address(&del_sun, del_path, 0);
	int del_sock = socket(AF_UNIX, SOCK_DGRAM, 0);
	bind(del_sock, (struct sockaddr *)&del_sun, del_len);
	unlink(del_path);
	rmdir(del_dir);

	/* the child's message has arrived before the dump */
	struct pollfd p = { .fd = stream[0], .events = POLLIN };
	poll(&p, 1, 5000);
	char info[64];
	snprintf(info, sizeof(info), "pid=%d\nchild=%d\n", getpid(), child);
	put("info", info);
	wait_for("check");

	int stream_ok = reads(stream[0], "child->parent");
	int child_ok = poll(&p, 1, 5000) == 1 && reads(stream[0], "child-ok");
	int now_rcvbuf = 0;
	size = sizeof(now_rcvbuf);
	getsockopt(dgram[0], SOL_SOCKET, SO_RCVBUF, &now_rcvbuf, &size);
	int dgram_ok = reads(dgram[0], "one") && reads(dgram[0], "two!") && reads(dgram[0], "three") && empty(dgram[0]) && now_rcvbuf == rcvbuf;
	char end[8];
	int seq_ok = reads(seq[1], "rec1") && reads(seq[1], "record2") && recv(seq[1], end, sizeof(end), MSG_DONTWAIT) == 0;
	int unconn_ok = reads(unconn, "first") && reads(unconn, "second") && empty(unconn);

	struct sockaddr_un peer;
	socklen_t peer_len = sizeof(peer);
	int dconn_ok = reads(dserver, "hello-srv") && send(dclient, "again", 5, 0) == 5 && reads(dserver, "again") &&
		       getpeername(dclient, (struct sockaddr *)&peer, &peer_len) == 0 && peer_len == server_len &&
		       memcmp(&peer, &server_sun, server_len) == 0;

	/* the accepted connection keeps its messages and names; the waiting one is accepted now */
	struct sockaddr_un got_sun;
	socklen_t got_len = sizeof(got_sun);
	int accept_ok = reads(accepted, "to-server") && reads(client, "to-client") && getsockname(accepted, (struct sockaddr *)&got_sun, &got_len) == 0 &&
			got_len == listen_len && memcmp(&got_sun, &listen_sun, listen_len) == 0;
	got_len = sizeof(got_sun);
	accept_ok = accept_ok && getpeername(client, (struct sockaddr *)&got_sun, &got_len) == 0 && got_len == listen_len &&
		    memcmp(&got_sun, &listen_sun, listen_len) == 0;
	int late = accept(abstract_listener, NULL, NULL);
	accept_ok = accept_ok && late >= 0 && write(waiting_client, "late", 4) == 4 && reads(late, "late") && write(client, "more", 4) == 4 && reads(accepted, "more");
	got_len = sizeof(got_sun);
	accept_ok = accept_ok && reads(gone_accepted, "still") && getsockname(gone_accepted, (struct sockaddr *)&got_sun, &got_len) == 0 &&
		    strcmp(got_sun.sun_path, gone_path) == 0;

	/* after the waiting connection was taken: new ones are accepted too */
	int listen_ok = abstract_listener >= 0 && path_listener >= 0 && takes_connections(abstract_listener, abstract_name, 1) &&
			takes_connections(path_listener, path, 0);

	char eof[4];
	struct stat st;
	int orphan_ok = reads(orphan[0], "bye") && read(orphan[0], eof, sizeof(eof)) == 0 && reads(dorphan[0], "last") && stat(path, &st) == 0 &&
			(st.st_mode & 07777) == 0640;

	struct sockaddr_un del_got;
	socklen_t del_got_len = sizeof(del_got);
	int deleted_ok = getsockname(del_sock, (struct sockaddr *)&del_got, &del_got_len) == 0 && strcmp(del_got.sun_path, del_path) == 0 &&
			 access(del_dir, F_OK) != 0;

	int ok = stream_ok && child_ok && dgram_ok && seq_ok && listen_ok && unconn_ok && dconn_ok && accept_ok && orphan_ok && deleted_ok;
	char result[256];
	snprintf(result, sizeof(result), "status=%s\nstream=%d\nchild=%d\ndgram=%d\nseq=%d\nlisten=%d\nunconn=%d\ndconn=%d\naccept=%d\norphan=%d\ndeleted=%d\n",
		 ok ? "OK" : "BAD", stream_ok, child_ok, dgram_ok, seq_ok, listen_ok, unconn_ok, dconn_ok, accept_ok, orphan_ok, deleted_ok);
	put("result", result);
	for (;;) pause();
}
