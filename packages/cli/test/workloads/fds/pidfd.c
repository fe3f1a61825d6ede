/*
 * pidfds, checked by the program itself after a restore.
 *   nonblock: a pidfd of its child (PIDFD_NONBLOCK); blocking: a second pidfd of the same child;
 *   dead:     a pidfd of a child that exited and was reaped before the dump (also held by the
 *             live child, which inherited it: one open file in two tasks).
 * The child waits for DIR/child-exit and then exits with status 7.
 * With "outside" as its second argument, it also holds a pidfd of its parent, which is not part
 * of the dumped tree (a dump refuses it).
 * Writes "pid=P\nchild=C" to DIR/info; once DIR/check appears it checks the pidfds while the child
 * lives, lets it exit and checks that the pidfds report its exit; then writes DIR/result:
 * status=OK or BAD with each check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../run-dir.h"

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open(pid_t pid, unsigned flags) { return syscall(SYS_pidfd_open, pid, flags); }
static int pidfd_send_signal(int fd, int sig) { return syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0); }

/* the pid fdinfo shows for a pidfd (-1: reaped), or -2 */
static int fdinfo_pid(int fd)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(path, "r");
	int pid = -2;
	while (fgets(line, sizeof(line), f)) sscanf(line, "Pid: %d", &pid);
	fclose(f);
	return pid;
}

static int readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

int main(int argc, char **argv)
{
	dir = argv[1];

	pid_t gone = fork();
	if (gone == 0) _exit(3);
	int dead = pidfd_open(gone, 0);
	waitpid(gone, NULL, 0);

	pid_t child = fork();
	if (child == 0) {
		while (!exists("child-exit")) usleep(10000);
		_exit(7);
	}
	int nonblock = pidfd_open(child, PIDFD_NONBLOCK);
	int blocking = pidfd_open(child, 0);
	int outside = argc > 2 && strcmp(argv[2], "outside") == 0 ? pidfd_open(getppid(), 0) : -1;

	char info[128];
	snprintf(info, sizeof(info), "pid=%d\nchild=%d\nparent=%d\noutside=%d\n", getpid(), child, getppid(), outside);
	put("info", info);
	while (!exists("check")) usleep(10000);

	int pids = fdinfo_pid(nonblock) == child && fdinfo_pid(blocking) == child && fdinfo_pid(dead) == -1;
	int flags = (fcntl(nonblock, F_GETFL) & O_NONBLOCK) != 0 && (fcntl(blocking, F_GETFL) & O_NONBLOCK) == 0;
	/* alive: not readable; PIDFD_NONBLOCK makes waitid say EAGAIN instead of waiting */
	siginfo_t si;
	int alive = !readable(nonblock, 0) && !readable(blocking, 0) && waitid(P_PIDFD, nonblock, &si, WEXITED) < 0 && errno == EAGAIN &&
		    pidfd_send_signal(blocking, 0) == 0;
	/* the dead one reads as a process that is gone */
	int dead_ok = readable(dead, 0) && pidfd_send_signal(dead, 0) < 0 && errno == ESRCH && waitid(P_PIDFD, dead, &si, WEXITED | WNOHANG) < 0 && errno == ECHILD;

	put("child-exit", "");
	int exit_seen = readable(nonblock, 5000) && readable(blocking, 0);
	memset(&si, 0, sizeof(si));
	int waited = waitid(P_PIDFD, blocking, &si, WEXITED) == 0 && si.si_pid == child && si.si_code == CLD_EXITED && si.si_status == 7;

	int ok = pids && flags && alive && dead_ok && exit_seen && waited;
	char result[512];
	snprintf(result, sizeof(result), "status=%s\npids=%d\nflags=%d\nalive=%d\ndead=%d\nexit_seen=%d\nwaited=%d\n", ok ? "OK" : "BAD", pids, flags, alive, dead_ok, exit_seen, waited);
	put("result", result);
	for (;;) pause();
}
