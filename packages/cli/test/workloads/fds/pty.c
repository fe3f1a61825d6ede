/*
 * A pty pair across dump and restore. `pty DIR` (a session leader, as setsid -f starts it):
 *   - opens a pty master and its slave, which becomes its controlling terminal,
 *   - puts the slave in raw mode with a window of 33x111 (7x9 pixels), the master in packet mode,
 *     and locks the pty (no further opens of the slave),
 *   - forks a child that leads its own process group, the terminal's foreground group,
 *   - writes "to-slave" into the master (unread by the slave) and the child writes "to-master"
 *     into the slave (unread by the master),
 * writes "pid=N", "child=N", "index=N" to DIR/info and, once DIR/check appears, checks:
 *   - the slave is /dev/pts/N for the master's own index N (the number may differ after a restore),
 *   - termios and window size are as set, packet mode and the lock are on,
 *   - the slave is the parent's controlling terminal, its session is the parent's, its foreground
 *     group the child's,
 *   - the master reads "to-master";
 * and writes the verdict to DIR/result. The child, in the foreground, reads "to-slave" from the
 * slave and writes its verdict to DIR/child-result (first: the parent's test of the lock, a failed
 * open of the slave, leaves the kernel's slave in error).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "../run-dir.h"

/* up to `size` bytes readable within a second */
static int read_some(int fd, char *buf, int size)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 1000) != 1) return -1;
	return read(fd, buf, size);
}

static int tty_nr(void)
{
	char buf[1024];
	FILE *f = fopen("/proc/self/stat", "r");
	fgets(buf, sizeof(buf), f);
	fclose(f);
	int nr = 0;
	sscanf(strrchr(buf, ')') + 2, "%*c %*d %*d %*d %d", &nr);
	return nr;
}

int main(int argc, char **argv)
{
	dir = argv[1];
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	grantpt(m);
	unlockpt(m);
	int s = open(ptsname(m), O_RDWR); /* a session leader without a terminal: it becomes its own */
	if (m < 0 || s < 0) { perror("pty"); return 2; }

	struct termios raw;
	tcgetattr(s, &raw);
	cfmakeraw(&raw);
	raw.c_cc[VMIN] = 1;
	tcsetattr(s, TCSANOW, &raw);
	struct winsize ws = { .ws_row = 33, .ws_col = 111, .ws_xpixel = 7, .ws_ypixel = 9 };
	ioctl(s, TIOCSWINSZ, &ws);
	int one = 1;
	ioctl(m, TIOCPKT, &one);
	ioctl(m, TIOCSPTLCK, &one);

	int ready[2];
	pipe(ready);
	pid_t child = fork();
	if (child == 0) {
		setpgid(0, 0);
		close(ready[0]);
		write(s, "to-master", 9);
		write(ready[1], "r", 1);
		wait_for("check");
		char buf[64] = { 0 };
		int n = read_some(s, buf, sizeof(buf) - 1);
		char text[256];
		snprintf(text, sizeof(text), "read=%s\nstatus=%s\n", n > 0 ? buf : "", n == 8 && strcmp(buf, "to-slave") == 0 ? "OK" : "BAD");
		put("child-result", text);
		for (;;) pause();
	}
	setpgid(child, child);
	tcsetpgrp(s, child);
	char r;
	read(ready[0], &r, 1);
	write(m, "to-slave", 8);

	int index = -1;
	ioctl(m, TIOCGPTN, &index);
	char text[4096];
	snprintf(text, sizeof(text), "pid=%d\nchild=%d\nindex=%d\n", getpid(), child, index);
	put("info", text);

	wait_for("check");
	/* the child reads first: a failed open of a locked slave (below) leaves the slave in error (EIO) */
	char done[4096];
	snprintf(done, sizeof(done), "%s/child-result", dir);
	while (access(done, F_OK) != 0) usleep(10000);
	ioctl(m, TIOCGPTN, &index);
	char link[64], expected[64];
	snprintf(expected, sizeof(expected), "/proc/self/fd/%d", s);
	ssize_t len = readlink(expected, link, sizeof(link) - 1);
	link[len < 0 ? 0 : len] = 0;
	snprintf(expected, sizeof(expected), "/dev/pts/%d", index);
	int pair_ok = strcmp(link, expected) == 0;

	struct termios now;
	tcgetattr(s, &now);
	int termios_ok = now.c_iflag == raw.c_iflag && now.c_oflag == raw.c_oflag && now.c_cflag == raw.c_cflag &&
			 now.c_lflag == raw.c_lflag && memcmp(now.c_cc, raw.c_cc, sizeof(raw.c_cc)) == 0;
	struct winsize wnow;
	ioctl(s, TIOCGWINSZ, &wnow);
	int winsize_ok = wnow.ws_row == 33 && wnow.ws_col == 111 && wnow.ws_xpixel == 7 && wnow.ws_ypixel == 9;
	int packet = 0, locked = 0;
	ioctl(m, TIOCGPKT, &packet);
	ioctl(m, TIOCGPTLCK, &locked);
	int reopen = open(expected, O_RDWR | O_NOCTTY);
	int lock_ok = locked == 1 && reopen < 0 && errno == EIO;

	struct stat st;
	fstat(s, &st);
	int ctty_ok = tty_nr() == (int)st.st_rdev && tcgetsid(s) == getpid();
	int foreground_ok = tcgetpgrp(s) == child;

	char buf[64] = { 0 };
	int n = read_some(m, buf, sizeof(buf) - 1);
	/* packet mode: a 0 status byte, then the data */
	int master_ok = packet == 1 && n == 10 && buf[0] == 0 && memcmp(buf + 1, "to-master", 9) == 0;

	snprintf(text, sizeof(text), "index=%d\nslave=%s\npair=%d\ntermios=%d\nwinsize=%d\npacket=%d\nlocked=%d\nctty=%d\nforeground=%d\nmaster=%d\nstatus=%s\n",
		 index, link, pair_ok, termios_ok, winsize_ok, packet, lock_ok, ctty_ok, foreground_ok, master_ok,
		 pair_ok && termios_ok && winsize_ok && lock_ok && ctty_ok && foreground_ok && master_ok ? "OK" : "BAD");
	put("result", text);
	for (;;) pause();
}
