/*
 * A program whose standard output is a pipe read outside its tree, and which appends to a log file.
 * `pipe-writer DIR` writes "before-dump" to its standard output and "log-before" to DIR/log, writes
 * "pid=N" and "pipe=pipe:[INODE]" to DIR/info and, once DIR/check appears, writes "after-restore"
 * to its standard output and "log-after" to its log, and its verdict to DIR/result.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "../run-dir.h"

int main(int argc, char **argv)
{
	(void)argc;
	dir = argv[1];
	char path[4096], link[64], text[256];
	snprintf(path, sizeof(path), "%s/log", dir);
	int log = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	int ok = write(1, "before-dump\n", 12) == 12 && write(log, "log-before\n", 11) == 11;

	ssize_t len = readlink("/proc/self/fd/1", link, sizeof(link) - 1);
	link[len < 0 ? 0 : len] = 0;
	snprintf(text, sizeof(text), "pid=%d\npipe=%s\nlog=%d\n", getpid(), link, log);
	put("info", text);

	wait_for("check");
	ok = ok && write(1, "after-restore\n", 14) == 14 && write(log, "log-after\n", 10) == 10;

	snprintf(text, sizeof(text), "written=%d\nstatus=%s\n", ok, ok ? "OK" : "BAD");
	put("result", text);
	for (;;) pause();
}
