/*
 * A shell job: run from a shell on a terminal the dumped tree does not hold the master of. `shell-job
 * DIR` leads its own process group and puts it in the terminal's foreground (as a job-control shell
 * does for a job), turns ECHO off and sets a window of 40x100, writes "pid=N", "sid=N", "tty=PATH"
 * to DIR/info and, once DIR/check appears, checks that standard input, output and error are a
 * terminal, its controlling terminal, whose session is its own and whose foreground group is its
 * own, with ECHO off and the 40x100 window; writes "restored-output" to its standard output and the
 * verdict to DIR/result.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "../run-dir.h"

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
	/* a job of its own in the foreground; SIGTTOU blocked: it asks from the background */
	sigset_t ttou, old;
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	setpgid(0, 0);
	tcsetpgrp(0, getpgrp());
	struct termios t;
	tcgetattr(0, &t);
	t.c_lflag &= ~ECHO;
	tcsetattr(0, TCSANOW, &t);
	struct winsize ws = { .ws_row = 40, .ws_col = 100 };
	ioctl(0, TIOCSWINSZ, &ws);
	sigprocmask(SIG_SETMASK, &old, NULL);

	char text[4096];
	snprintf(text, sizeof(text), "pid=%d\nsid=%d\ntty=%s\n", getpid(), getsid(0), ttyname(0));
	put("info", text);

	wait_for("check");

	int tty_ok = isatty(0) && isatty(1) && isatty(2);
	struct stat st;
	fstat(0, &st);
	int ctty_ok = tty_nr() == (int)st.st_rdev && tcgetsid(0) == getsid(0);
	int foreground_ok = tcgetpgrp(0) == getpgrp() && getpgrp() == getpid();
	struct termios now;
	tcgetattr(0, &now);
	int echo_off = !(now.c_lflag & ECHO);
	struct winsize wnow;
	ioctl(0, TIOCGWINSZ, &wnow);
	int winsize_ok = wnow.ws_row == 40 && wnow.ws_col == 100;
	int written = write(1, "restored-output\n", 16) == 16;

	snprintf(text, sizeof(text), "sid=%d\ntty=%s\nterminal=%d\nctty=%d\nforeground=%d\necho_off=%d\nwinsize=%d\nwritten=%d\nstatus=%s\n",
		 getsid(0), ttyname(0), tty_ok, ctty_ok, foreground_ok, echo_off, winsize_ok, written,
		 tty_ok && ctty_ok && foreground_ok && echo_off && winsize_ok && written ? "OK" : "BAD");
	put("result", text);
	for (;;) pause();
}
