/*
 * signalfd across dump and restore. Blocks SIGUSR1, SIGUSR2 and SIGRTMIN+2 and sets up
 *   - sfd1 (O_NONBLOCK, close-on-exec) at fd 33, accepting SIGUSR1 and SIGRTMIN+2,
 *   - sfd2 (blocking) accepting SIGUSR2, owned by the process (F_SETOWN) with SIGRTMIN+3 as its
 *     SIGIO signal (F_SETSIG),
 * then leaves pending: SIGUSR1 (kill), SIGRTMIN+2 queued with value 42 (sigqueue), SIGUSR2 (raise).
 * Writes "pid=N" to DIR/info; once DIR/check appears, reads the signals back through the
 * signalfds and writes field=1/0 lines and status=OK or BAD to DIR/result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "../run-dir.h"

/* The sigmask line of a signalfd's fdinfo. */
static void sigmask_line(int fd, char *out, size_t size)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(path, "r");
	out[0] = 0;
	while (fgets(line, sizeof(line), f)) if (strncmp(line, "sigmask:", 8) == 0) snprintf(out, size, "%s", line);
	fclose(f);
}

int main(int argc, char **argv)
{
	(void)argc;
	dir = argv[1];
	sigset_t blocked, accepts1, accepts2;
	sigemptyset(&blocked);
	sigaddset(&blocked, SIGUSR1);
	sigaddset(&blocked, SIGUSR2);
	sigaddset(&blocked, SIGRTMIN + 2);
	sigprocmask(SIG_BLOCK, &blocked, NULL);

	sigemptyset(&accepts1);
	sigaddset(&accepts1, SIGUSR1);
	sigaddset(&accepts1, SIGRTMIN + 2);
	int fd = signalfd(-1, &accepts1, SFD_NONBLOCK | SFD_CLOEXEC);
	int sfd1 = dup3(fd, 33, O_CLOEXEC);
	close(fd);
	sigemptyset(&accepts2);
	sigaddset(&accepts2, SIGUSR2);
	int sfd2 = signalfd(-1, &accepts2, 0);
	fcntl(sfd2, F_SETOWN, getpid());
	fcntl(sfd2, F_SETSIG, SIGRTMIN + 3);

	kill(getpid(), SIGUSR1);
	sigqueue(getpid(), SIGRTMIN + 2, (union sigval){ .sival_int = 42 });
	raise(SIGUSR2);

	char mask1[128], mask2[128], after[128];
	sigmask_line(sfd1, mask1, sizeof(mask1));
	sigmask_line(sfd2, mask2, sizeof(mask2));

	char info[256];
	snprintf(info, sizeof(info), "pid=%d\nsfd1=%d\nsfd2=%d\n", getpid(), sfd1, sfd2);
	put("info", info);
	wait_for("check");

	sigmask_line(sfd1, after, sizeof(after));
	int mask_ok = mask1[0] && strcmp(mask1, after) == 0;
	sigmask_line(sfd2, after, sizeof(after));
	mask_ok = mask_ok && mask2[0] && strcmp(mask2, after) == 0;
	int flags_ok = (fcntl(sfd1, F_GETFL) & O_NONBLOCK) && (fcntl(sfd1, F_GETFD) & FD_CLOEXEC) &&
		!(fcntl(sfd2, F_GETFL) & O_NONBLOCK) && !(fcntl(sfd2, F_GETFD) & FD_CLOEXEC);

	int owner_ok = fcntl(sfd2, F_GETOWN) == getpid() && fcntl(sfd2, F_GETSIG) == SIGRTMIN + 3 && fcntl(sfd1, F_GETOWN) == 0;

	/* sfd1 hands out its two pending signals (lowest number first), then has nothing: SIGUSR2 is not its */
	struct signalfd_siginfo si[2];
	int usr1_ok = read(sfd1, &si[0], sizeof(si[0])) == sizeof(si[0]) && si[0].ssi_signo == SIGUSR1 && si[0].ssi_pid == (unsigned)getpid();
	int rt_ok = read(sfd1, &si[1], sizeof(si[1])) == sizeof(si[1]) && si[1].ssi_signo == (unsigned)(SIGRTMIN + 2) &&
		si[1].ssi_code == SI_QUEUE && si[1].ssi_int == 42;
	struct signalfd_siginfo none;
	int empty_ok = read(sfd1, &none, sizeof(none)) < 0 && errno == EAGAIN;
	/* sfd2 is blocking: SIGUSR2 is pending, so the read returns it at once */
	struct signalfd_siginfo usr2;
	int usr2_ok = read(sfd2, &usr2, sizeof(usr2)) == sizeof(usr2) && usr2.ssi_signo == SIGUSR2;
	sigset_t pending;
	sigpending(&pending);
	int drained = !sigismember(&pending, SIGUSR1) && !sigismember(&pending, SIGUSR2) && !sigismember(&pending, SIGRTMIN + 2);

	int ok = mask_ok && flags_ok && owner_ok && usr1_ok && rt_ok && empty_ok && usr2_ok && drained;
	char text[512];
	snprintf(text, sizeof(text), "mask=%d\nflags=%d\nowner=%d\nusr1=%d\nrt=%d\nempty=%d\nusr2=%d\ndrained=%d\nstatus=%s\n",
		 mask_ok, flags_ok, owner_ok, usr1_ok, rt_ok, empty_ok, usr2_ok, drained, ok ? "OK" : "BAD");
	put("result", text);
	for (;;) pause();
}
