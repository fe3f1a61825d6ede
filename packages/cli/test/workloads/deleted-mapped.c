/*
 * A program running from an executable that was deleted (a copy of itself, removed once running),
 * mapping a data file that was deleted too: privately with a page of its own, and shared read-only.
 * Writes "pid=N" to DIR/info; once DIR/check appears, checks the pages it sees and that /proc still
 * shows both files as deleted, and writes status=OK or BAD to DIR/result.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "run-dir.h"

/* Runs a copy of this program, which deletes itself once started. */
static int run_copy(const char *self)
{
	char copy[4096];
	snprintf(copy, sizeof(copy), "%s/exe-copy", dir);
	int in = open("/proc/self/exe", O_RDONLY), out = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	struct stat st;
	if (in < 0 || out < 0 || fstat(in, &st) != 0 || sendfile(out, in, NULL, st.st_size) != st.st_size) return 3;
	close(in);
	close(out);
	(void)self;
	execl(copy, copy, dir, "copied", (char *)NULL);
	return 4;
}

int main(int argc, char **argv)
{
	if (argc < 2) return 2;
	dir = argv[1];
	if (argc < 3) return run_copy(argv[0]);
	unlink(argv[0]);

	char path[4096];
	snprintf(path, sizeof(path), "%s/data", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0640);
	char page[4096];
	for (int i = 0; i < 3; i++) {
		memset(page, 'A' + i, sizeof(page));
		if (write(fd, page, sizeof(page)) != sizeof(page)) return 5;
	}
	char *private = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	char *shared = mmap(NULL, 3 * 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (private == MAP_FAILED || shared == MAP_FAILED) return 6;
	private[4096] = 'b';
	close(fd);
	unlink(path);

	snprintf(path, sizeof(path), "%s/info", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "pid=%d\n", getpid());
	fclose(f);

	snprintf(path, sizeof(path), "%s/check", dir);
	while (access(path, F_OK) != 0) usleep(10000);
	int pages_ok = private[0] == 'A' && private[4096] == 'b' && private[8192] == 'C' && shared[0] == 'A' && shared[4096] == 'B' && shared[8192] == 'C';
	char exe[4096] = { 0 };
	int exe_ok = readlink("/proc/self/exe", exe, sizeof(exe) - 1) > 0 && strstr(exe, "exe-copy (deleted)") != NULL;
	char text[256];
	snprintf(text, sizeof(text), "status=%s\npages=%d\nexe=%d\n", pages_ok && exe_ok ? "OK" : "BAD", pages_ok, exe_ok);
	put("result", text);
	for (;;) pause();
}
