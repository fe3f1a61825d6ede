/*
 * epoll across dump and restore. Sets up, with the targets at scattered fd numbers:
 *   ep1 (close-on-exec) watching
 *     - pipe A's read end, holding 6 unread bytes: EPOLLIN, data 0xA11CE (level-triggered),
 *     - an eventfd holding 1, moved to fd 40: EPOLLIN | EPOLLET, data 0xE7E7E7E7E7E7E7E7,
 *     - pipe B's read end, empty: EPOLLIN, data 0xB0B,
 *     - ep2: EPOLLIN, data 0xE2;
 *   ep2 (O_NONBLOCK) watching pipe C's read end (1 unread byte) with EPOLLIN | EPOLLONESHOT,
 *     data 0xC, already reported once, so disarmed;
 *   ep3 watching pipe A's read end with EPOLLIN | EPOLLEXCLUSIVE, data 3, owned by the process (F_SETOWN);
 *   ep4 watching a timerfd that expired once, unread (data 0x71), and a signalfd for SIGUSR1, which
 *     is blocked and pending (data 0x51): both readable;
 * and a child that holds them all too (the epolls are registered once at restore, in the parent).
 * Nothing waits on ep1 before the dump, so its first epoll_wait must report exactly pipe A and the
 * eventfd. Writes "pid=N" to DIR/info; once DIR/check appears, checks everything and writes
 * field=1/0 lines and status=OK or BAD to DIR/result.
 *
 * With "closed" as second argument it instead registers two pipes in an epoll and closes both fds,
 * keeping each pipe open through a dup; the number of the second is taken again by /dev/null. After
 * a restore the epoll must still report each pipe (data 7 and 8) once bytes arrive, and the reused
 * number must still be /dev/null. With "escaped", the registered fd is closed and only a child
 * holds the pipe: a dump must refuse it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../run-dir.h"

static void write_info(const char *extra)
{
	char text[4096];
	snprintf(text, sizeof(text), "pid=%d\n%s", getpid(), extra);
	put("info", text);
}

static int by_text(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

/*
 * The "tfd: N events: X data: Y" part of every target line of an epoll's fdinfo, sorted: the kernel
 * lists targets by their file's address, and pipe inodes change on restore.
 */
static void targets(int ep, char *out, size_t size)
{
	char path[64], lines[16][128];
	int n = 0;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", ep);
	FILE *f = fopen(path, "r");
	while (n < 16 && fgets(lines[n], sizeof(lines[n]), f)) {
		if (strncmp(lines[n], "tfd:", 4) != 0) continue;
		char *pos = strstr(lines[n], "pos:");
		if (pos) *pos = 0;
		n++;
	}
	fclose(f);
	qsort(lines, n, sizeof(lines[0]), by_text);
	out[0] = 0;
	for (int i = 0; i < n; i++) {
		strncat(out, lines[i], size - strlen(out) - 2);
		strcat(out, "\n");
	}
}

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event e = { .events = events, .data.u64 = data };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

/* epoll_wait without waiting; 1 if it returned exactly the `n` data words of `want` (in any order), each with EPOLLIN. */
static int reports(int ep, const uint64_t *want, int n)
{
	struct epoll_event ev[8];
	int got = epoll_wait(ep, ev, 8, 0);
	if (got != n) return 0;
	for (int i = 0; i < n; i++) {
		int found = 0;
		for (int j = 0; j < got; j++) if (ev[j].data.u64 == want[i] && ev[j].events == EPOLLIN) found = 1;
		if (!found) return 0;
	}
	return 1;
}

static int closed_target(void)
{
	int p[2], q[2];
	pipe(p);
	pipe(q);
	int ep = epoll_create1(0);
	add(ep, p[0], EPOLLIN, 7);
	add(ep, q[0], EPOLLIN, 8);
	int keep_p = dup(p[0]);
	int keep_q = dup(q[0]);
	close(p[0]);
	int null = open("/dev/null", O_RDONLY);
	dup2(null, q[0]);
	close(null);
	char extra[256];
	snprintf(extra, sizeof(extra), "ep=%d\nclosed=%d\nreused=%d\nkeepP=%d\nkeepQ=%d\n", ep, p[0], q[0], keep_p, keep_q);
	write_info(extra);
	wait_for("check");
	struct stat st, dev_null;
	int reused = fstat(q[0], &st) == 0 && stat("/dev/null", &dev_null) == 0 && st.st_rdev == dev_null.st_rdev;
	int quiet = reports(ep, NULL, 0);
	write(p[1], "p", 1);
	write(q[1], "q", 1);
	const uint64_t both[] = { 7, 8 };
	int pipes = reports(ep, both, 2);
	char text[256];
	snprintf(text, sizeof(text), "status=%s\nreused=%d\nquiet=%d\npipes=%d\n", reused && quiet && pipes ? "OK" : "BAD", reused, quiet, pipes);
	put("result", text);
	return 0;
}

static int escaped_target(void)
{
	int p[2];
	pipe(p);
	int ep = epoll_create1(0);
	add(ep, p[0], EPOLLIN, 9);
	pid_t child = fork();
	if (child == 0) {
		for (;;) pause();
	}
	close(p[0]);
	char extra[128];
	snprintf(extra, sizeof(extra), "ep=%d\nclosed=%d\nchild=%d\n", ep, p[0], child);
	write_info(extra);
	wait_for("check");
	put("result", "status=OK\n");
	kill(child, SIGKILL);
	return 0;
}

int main(int argc, char **argv)
{
	dir = argv[1];
	if (argc > 2 && strcmp(argv[2], "closed") == 0) return closed_target();
	if (argc > 2 && strcmp(argv[2], "escaped") == 0) return escaped_target();

	int pa[2], pb[2], pc[2];
	pipe(pa);
	pipe(pb);
	pipe(pc);
	write(pa[1], "queued", 6);
	write(pc[1], "c", 1);
	int efd = eventfd(1, EFD_NONBLOCK);
	dup2(efd, 40);
	close(efd);

	int ep1 = epoll_create1(EPOLL_CLOEXEC);
	int ep2 = epoll_create1(0);
	int ep3 = epoll_create1(0);
	fcntl(ep2, F_SETFL, O_NONBLOCK);
	fcntl(ep3, F_SETOWN, getpid());

	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct itimerspec soon = { { 0, 0 }, { 0, 1000000 } };
	timerfd_settime(tfd, 0, &soon, NULL);
	usleep(20000);
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	int sfd = signalfd(-1, &usr1, SFD_NONBLOCK);
	raise(SIGUSR1);
	int ep4 = epoll_create1(0);

	add(ep2, pc[0], EPOLLIN | EPOLLONESHOT, 0xC);
	struct epoll_event fired;
	int oneshot_fired = epoll_wait(ep2, &fired, 1, 0) == 1 && fired.data.u64 == 0xC;

	int setup = add(ep1, pa[0], EPOLLIN, 0xA11CE) == 0 && add(ep1, 40, EPOLLIN | EPOLLET, 0xE7E7E7E7E7E7E7E7ull) == 0 &&
		add(ep1, pb[0], EPOLLIN, 0xB0B) == 0 && add(ep1, ep2, EPOLLIN, 0xE2) == 0 &&
		add(ep3, pa[0], EPOLLIN | EPOLLEXCLUSIVE, 3) == 0 && add(ep4, tfd, EPOLLIN, 0x71) == 0 && add(ep4, sfd, EPOLLIN, 0x51) == 0 &&
		oneshot_fired;

	static char before1[1024], before2[1024], before3[1024], after[1024];
	targets(ep1, before1, sizeof(before1));
	targets(ep2, before2, sizeof(before2));
	targets(ep3, before3, sizeof(before3));

	/* a child shares every epoll (as after fork in a pre-forking server); it only waits */
	pid_t child = fork();
	if (child == 0)
		for (;;) pause();

	char extra[256];
	snprintf(extra, sizeof(extra), "ep1=%d\nep2=%d\nep3=%d\npipeA=%d\npipeB=%d\npipeC=%d\neventfd=40\nchild=%d\n", ep1, ep2, ep3, pa[0], pb[0],
		 pc[0], child);
	write_info(extra);
	wait_for("check");

	/* every registration with its event mask (EPOLLET, the disarmed one-shot, EPOLLEXCLUSIVE) and data */
	targets(ep1, after, sizeof(after));
	int fdinfo_ok = strcmp(before1, after) == 0;
	targets(ep2, after, sizeof(after));
	fdinfo_ok = fdinfo_ok && strcmp(before2, after) == 0;
	targets(ep3, after, sizeof(after));
	fdinfo_ok = fdinfo_ok && strcmp(before3, after) == 0;

	/* first wait: the pipe with data and the eventfd; pipe B is empty and ep2's one-shot is disarmed */
	uint64_t first[] = { 0xA11CE, 0xE7E7E7E7E7E7E7E7ull };
	int first_ok = reports(ep1, first, 2);
	/* edge-triggered: the eventfd is not reported again, the level-triggered pipe is */
	uint64_t second[] = { 0xA11CE };
	int edge_ok = reports(ep1, second, 1);

	/* the registrations are under the task's own fd numbers */
	int del_ok = epoll_ctl(ep1, EPOLL_CTL_DEL, pa[0], NULL) == 0 && epoll_ctl(ep1, EPOLL_CTL_DEL, 40, NULL) == 0 &&
		epoll_ctl(ep1, EPOLL_CTL_DEL, pc[0], NULL) < 0 && errno == ENOENT && reports(ep1, NULL, 0);

	/* pipe B was registered: data written now is reported */
	write(pb[1], "b", 1);
	uint64_t third[] = { 0xB0B };
	int pipe_b_ok = reports(ep1, third, 1);

	/* the disarmed one-shot is still registered: re-armed, it fires, and ep1 sees ep2 become ready */
	int ep2_quiet = reports(ep2, NULL, 0);
	struct epoll_event rearm = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 0xC };
	int rearmed = epoll_ctl(ep2, EPOLL_CTL_MOD, pc[0], &rearm) == 0;
	uint64_t nested[] = { 0xB0B, 0xE2 };
	int nested_ok = reports(ep1, nested, 2);
	uint64_t oneshot[] = { 0xC };
	int oneshot_ok = ep2_quiet && rearmed && reports(ep2, oneshot, 1) && reports(ep2, NULL, 0);

	/* the restored timerfd's unread expiration and the task's pending signal make both readable */
	uint64_t readable[] = { 0x71, 0x51 };
	uint64_t ticks = 0;
	struct signalfd_siginfo si;
	int timer_signal_ok = reports(ep4, readable, 2) && read(tfd, &ticks, sizeof(ticks)) == sizeof(ticks) && ticks == 1 &&
		read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo == SIGUSR1 && reports(ep4, NULL, 0);

	int flags_ok = (fcntl(ep2, F_GETFL) & O_NONBLOCK) && !(fcntl(ep1, F_GETFL) & O_NONBLOCK) &&
		(fcntl(ep1, F_GETFD) & FD_CLOEXEC) && !(fcntl(ep2, F_GETFD) & FD_CLOEXEC) && fcntl(ep3, F_GETOWN) == getpid();

	int ok = setup && fdinfo_ok && first_ok && edge_ok && del_ok && pipe_b_ok && nested_ok && oneshot_ok && timer_signal_ok && flags_ok;
	char text[512];
	snprintf(text, sizeof(text), "setup=%d\nfdinfo=%d\nfirst=%d\nedge=%d\ndel=%d\npipeB=%d\nnested=%d\noneshot=%d\ntimerSignal=%d\nflags=%d\nstatus=%s\n",
		 setup, fdinfo_ok, first_ok, edge_ok, del_ok, pipe_b_ok, nested_ok, oneshot_ok, timer_signal_ok, flags_ok, ok ? "OK" : "BAD");
	put("result", text);
	for (;;) pause();
}
