/*
 * File locks across dump and restore. `locks DIR` opens three files in DIR and holds
 *   - an flock (LOCK_EX) on DIR/flock,
 *   - a POSIX write lock (fcntl F_SETLK) on bytes 10-29 of DIR/posix,
 *   - an OFD write lock (fcntl F_OFD_SETLK) on the whole of DIR/ofd,
 * writes "pid=N" to DIR/info and, once DIR/check appears, releases all three and writes to
 * DIR/result whether each unlock succeeded.
 *
 * `locks DIR probe` is another process asking, without blocking, whether each lock is held by
 * someone else: it prints "flock=busy|free", "posix=busy:PID|free", "ofd=busy|free".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "../run-dir.h"

static int open_in_dir(const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	if (fd < 0) { perror(path); _exit(2); }
	return fd;
}

static int probe(void)
{
	int a = open_in_dir("flock"), b = open_in_dir("posix"), c = open_in_dir("ofd");
	int flock_busy = flock(a, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	struct flock posix = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100 };
	fcntl(b, F_GETLK, &posix);
	struct flock ofd = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	fcntl(c, F_OFD_GETLK, &ofd);
	printf("flock=%s\n", flock_busy ? "busy" : "free");
	if (posix.l_type == F_UNLCK) printf("posix=free\n");
	else printf("posix=busy:%d:%lld-%lld\n", posix.l_pid, (long long)posix.l_start, (long long)(posix.l_start + posix.l_len - 1));
	printf("ofd=%s\n", ofd.l_type == F_UNLCK ? "free" : "busy");
	return 0;
}

int main(int argc, char **argv)
{
	dir = argv[1];
	if (argc > 2 && strcmp(argv[2], "probe") == 0) return probe();

	int a = open_in_dir("flock"), b = open_in_dir("posix"), c = open_in_dir("ofd");
	struct flock posix = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 20 };
	struct flock ofd = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };
	if (flock(a, LOCK_EX) < 0 || fcntl(b, F_SETLK, &posix) < 0 || fcntl(c, F_OFD_SETLK, &ofd) < 0) {
		perror("lock");
		return 2;
	}

	char text[256];
	snprintf(text, sizeof(text), "pid=%d\nflock=%d\nposix=%d\nofd=%d\n", getpid(), a, b, c);
	put("info", text);
	wait_for("check");

	posix.l_type = F_UNLCK;
	ofd.l_type = F_UNLCK;
	int flock_ok = flock(a, LOCK_UN) == 0;
	int posix_ok = fcntl(b, F_SETLK, &posix) == 0;
	int ofd_ok = fcntl(c, F_OFD_SETLK, &ofd) == 0;

	snprintf(text, sizeof(text), "unlock_flock=%d\nunlock_posix=%d\nunlock_ofd=%d\nstatus=%s\n", flock_ok, posix_ok, ofd_ok,
		 flock_ok && posix_ok && ofd_ok ? "OK" : "BAD");
	put("result", text);
	for (;;) pause();
}
