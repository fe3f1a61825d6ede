/*
 * A FIFO held across two tasks, checked by the tasks themselves after a restore.
 *   parent: the read end, O_NONBLOCK, O_ASYNC, owned by the parent with SIGIO signal SIGRTMIN+2
 *   child:  the write end (blocking), and the same read end (inherited: one open file)
 *   queued: 17 unread bytes, capacity 128 KiB
 * Writes "pid=P\nchild=C" to DIR/info; once DIR/check appears the child checks its ends, writes
 * "from-child" (once the parent has read the queue) and exits; the parent checks the queue, flags, capacity and owner, reads the child's
 * bytes (and gets its signal), then EOF once the child is gone: no other writer is left. Then
 * DIR/result: status=OK or BAD with each check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../run-dir.h"

#define QUEUED "fifo-queued-bytes"
#define CAPACITY (128 * 1024)

static int child_main(int r, int w, const char *fifo)
{
	put("child-ready", "");
	/* the parent reads the queued bytes first */
	wait_for("child-go");
	int wflags = fcntl(w, F_GETFL);
	int rflags = fcntl(r, F_GETFL);
	struct stat a, b;
	int same = fstat(w, &a) == 0 && stat(fifo, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev && S_ISFIFO(a.st_mode);
	/* the read end is the parent's open file: its O_NONBLOCK shows here too */
	int ends = (wflags & O_ACCMODE) == O_WRONLY && !(wflags & O_NONBLOCK) && (rflags & O_ACCMODE) == O_RDONLY && (rflags & O_NONBLOCK);
	int wrote = write(w, "from-child", 10) == 10;
	char text[256];
	snprintf(text, sizeof(text), "child_ends=%d\nchild_same=%d\nchild_wrote=%d\n", ends, same, wrote);
	put("child-result", text);
	return 0;
}

int main(int argc, char **argv)
{
	dir = argv[1];
	char fifo[4096];
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	if (mkfifo(fifo, 0600)) return 1;
	int r = open(fifo, O_RDONLY | O_NONBLOCK);
	int w = open(fifo, O_WRONLY);
	if (r < 0 || w < 0) return 2;
	if (fcntl(w, F_SETPIPE_SZ, CAPACITY) != CAPACITY) return 3;
	if (write(w, QUEUED, strlen(QUEUED)) != (ssize_t)strlen(QUEUED)) return 4;

	sigset_t io;
	sigemptyset(&io);
	sigaddset(&io, SIGRTMIN + 2);
	sigprocmask(SIG_BLOCK, &io, NULL);
	struct f_owner_ex owner = { F_OWNER_PID, getpid() };
	fcntl(r, F_SETOWN_EX, &owner);
	fcntl(r, F_SETSIG, SIGRTMIN + 2);
	fcntl(r, F_SETFL, O_NONBLOCK | O_ASYNC);

	pid_t child = fork();
	if (child == 0) return child_main(r, w, fifo);
	close(w);
	wait_for("child-ready");
	char text[4096];
	snprintf(text, sizeof(text), "pid=%d\nchild=%d\n", getpid(), child);
	put("info", text);

	wait_for("check");
	int flags = fcntl(r, F_GETFL);
	int nonblock = (flags & O_ACCMODE) == O_RDONLY && (flags & O_NONBLOCK) && (flags & O_ASYNC);
	int capacity = fcntl(r, F_GETPIPE_SZ) == CAPACITY;
	struct f_owner_ex got = { 0, 0 };
	fcntl(r, F_GETOWN_EX, &got);
	int fown = got.type == F_OWNER_PID && got.pid == getpid() && fcntl(r, F_GETSIG) == SIGRTMIN + 2;

	char buf[64] = { 0 };
	int queued = read(r, buf, sizeof(buf)) == (ssize_t)strlen(QUEUED) && strcmp(buf, QUEUED) == 0;
	/* a writer is there (the child's end): nothing to read is EAGAIN, not end of file */
	int writer = read(r, buf, sizeof(buf)) < 0 && errno == EAGAIN;

	put("child-go", "");
	int from_child = 0;
	memset(buf, 0, sizeof(buf));
	for (int i = 0; i < 500 && !from_child; i++) {
		ssize_t n = read(r, buf, sizeof(buf));
		if (n == 10 && memcmp(buf, "from-child", 10) == 0) from_child = 1;
		else usleep(10000);
	}
	siginfo_t si;
	struct timespec wait = { 5, 0 };
	int sigio = sigtimedwait(&io, &si, &wait) == SIGRTMIN + 2 && si.si_fd == r;
	int status = 0;
	int child_ok = waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	/* the child's end was the last writer: end of file now */
	int eof = read(r, buf, sizeof(buf)) == 0;

	char child_text[512] = { 0 };
	char path[4096];
	snprintf(path, sizeof(path), "%s/child-result", dir);
	FILE *f = fopen(path, "r");
	if (f) {
		fread(child_text, 1, sizeof(child_text) - 1, f);
		fclose(f);
	}
	int child_checks = strstr(child_text, "child_ends=1") && strstr(child_text, "child_same=1") && strstr(child_text, "child_wrote=1");
	int ok = nonblock && capacity && fown && queued && writer && from_child && sigio && child_ok && eof && child_checks;
	snprintf(text, sizeof(text), "status=%s\nnonblock=%d\ncapacity=%d\nfown=%d\nqueued=%d\nwriter=%d\nfrom_child=%d\nsigio=%d\nchild_exit=%d\neof=%d\n%s",
		 ok ? "OK" : "BAD", nonblock, capacity, fown, queued, writer, from_child, sigio, child_ok, eof, child_text);
	put("result", text);
	for (;;) pause();
}
