/*
 * A parent stuck in uninterruptible sleep: vfork() parks it in D state (TASK_KILLABLE, which ptrace's
 * interrupt does not wake) until the child exits, which it does after MS milliseconds.
 * Usage: vfork_sleep DIR MS. Writes DIR/info, and DIR/result once the parent runs again.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc < 3) return 2;
	char path[4096], tmp[4096];
	long ms = strtol(argv[2], NULL, 10);
	snprintf(path, sizeof path, "%s/info", argv[1]);
	snprintf(tmp, sizeof tmp, "%s/.info", argv[1]);
	pid_t parent = getpid();
	pid_t c = vfork();
	if (c == 0) {
		/* Only async-signal-safe calls in a vfork child; dprintf to a fresh fd is fine here. */
		FILE *f = fopen(tmp, "w");
		if (f) { fprintf(f, "pid=%d\nchild=%d\n", parent, getpid()); fclose(f); }
		rename(tmp, path);
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
		nanosleep(&ts, NULL);
		_exit(7);
	}
	int st = 0;
	waitpid(c, &st, 0);
	snprintf(path, sizeof path, "%s/result", argv[1]);
	FILE *f = fopen(path, "w");
	fprintf(f, "selfcheck=%s\nfailure=\n", WIFEXITED(st) && WEXITSTATUS(st) == 7 ? "OK" : "FAIL");
	fclose(f);
	return 0;
}
