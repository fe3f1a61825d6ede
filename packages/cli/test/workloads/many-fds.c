/*
 * A task holding N fds (argv[2]) of mixed kinds, which checks them itself after a restore:
 *   - a data file opened anew at an offset of its own,
 *   - the two ends of a pipe, 8 queued bytes in each,
 *   - an eventfd with a counter of its own,
 *   - a dup of the last data-file fd (same open file: same offset, kcmp equal).
 * Writes "pid=N" to DIR/info; once DIR/check appears, checks every fd and writes status=OK or BAD
 * (with the first bad fd) to DIR/result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "run-dir.h"

enum kind { REG, PIPE_R, PIPE_W, EFD, DUP };
struct expect { int fd; enum kind kind; uint64_t value; int source; };

static int check(const struct expect *e)
{
	struct stat st;
	if (fstat(e->fd, &st) != 0) return 0;
	uint64_t got = 0;
	switch (e->kind) {
	case REG:
		return S_ISREG(st.st_mode) && (uint64_t)lseek(e->fd, 0, SEEK_CUR) == e->value;
	case PIPE_R:
		return S_ISFIFO(st.st_mode) && read(e->fd, &got, 8) == 8 && got == e->value;
	case PIPE_W:
		return S_ISFIFO(st.st_mode) && (fcntl(e->fd, F_GETFL) & O_ACCMODE) == O_WRONLY;
	case EFD:
		return eventfd_read(e->fd, &got) == 0 && got == e->value;
	case DUP:
		return syscall(SYS_kcmp, getpid(), getpid(), 0 /* KCMP_FILE */, e->fd, e->source) == 0 &&
		       (uint64_t)lseek(e->fd, 0, SEEK_CUR) == e->value;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) return 2;
	dir = argv[1];
	int n = atoi(argv[2]);
	struct rlimit lim;
	getrlimit(RLIMIT_NOFILE, &lim);
	lim.rlim_cur = lim.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur < (rlim_t)n + 16) return 3;

	char path[4096];
	snprintf(path, sizeof(path), "%s/data", dir);
	int data = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (data < 0 || ftruncate(data, 8192) != 0) return 4;
	close(data);

	struct expect *all = calloc(n + 2, sizeof(*all));
	int count = 0, last_reg = -1;
	for (uint64_t k = 1; count < n; k++) {
		switch (k % 4) {
		case 0: {
			int fd = open(path, O_RDWR);
			lseek(fd, k % 4096, SEEK_SET);
			all[count++] = (struct expect){ fd, REG, k % 4096, -1 };
			last_reg = fd;
			break;
		}
		case 1: {
			int p[2];
			if (count + 2 > n || pipe(p) != 0) { k++; continue; }
			if (write(p[1], &k, 8) != 8) return 5;
			all[count++] = (struct expect){ p[0], PIPE_R, k, -1 };
			all[count++] = (struct expect){ p[1], PIPE_W, 0, -1 };
			break;
		}
		case 2:
			all[count++] = (struct expect){ eventfd(k, EFD_NONBLOCK), EFD, k, -1 };
			break;
		case 3:
			if (last_reg < 0) continue;
			all[count++] = (struct expect){ dup(last_reg), DUP, lseek(last_reg, 0, SEEK_CUR), last_reg };
			break;
		}
	}

	snprintf(path, sizeof(path), "%s/info", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "pid=%d\nfds=%d\n", getpid(), count);
	fclose(f);

	snprintf(path, sizeof(path), "%s/check", dir);
	while (access(path, F_OK) != 0) usleep(10000);
	int bad = -1;
	for (int i = 0; i < count && bad < 0; i++) if (!check(&all[i])) bad = all[i].fd;
	char text[128];
	snprintf(text, sizeof(text), "status=%s\nfds=%d\nbad_fd=%d\n", bad < 0 ? "OK" : "BAD", count, bad);
	put("result", text);
	for (;;) pause();
}
