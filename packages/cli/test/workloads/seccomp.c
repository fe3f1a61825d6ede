/*
 * Seccomp filters on a task of two threads, checked by the program itself after a restore.
 *   threads: the main thread installs filter U (uname fails with ENOTBLK) before the worker thread
 *            starts; the worker then adds filter C (getcwd fails with EXDEV, SECCOMP_FILTER_FLAG_LOG)
 *            to its own chain. So the main thread has U, the worker U then C.
 *   tsync:   the worker starts first; the main thread sets no_new_privs and installs U with
 *            SECCOMP_FILTER_FLAG_TSYNC, which gives both threads the one filter. After the restore
 *            the main thread installs C with TSYNC too: that works only if the threads still share
 *            one filter tree, and then the worker has C as well.
 * Checks each thread's calls and its Seccomp and Seccomp_filters lines in /proc.
 * Writes "pid=P worker=T" to DIR/info; once DIR/check appears it writes DIR/result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "run-dir.h"

/* A filter that fails syscall `nr` with `err` and allows every other. */
static int install(int nr, int err, unsigned int flags)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = 4, .filter = code };
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static int uname_blocked(void)
{
	struct utsname u;
	return uname(&u) < 0 && errno == ENOTBLK;
}

static int getcwd_blocked(void)
{
	char cwd[4096];
	return getcwd(cwd, sizeof(cwd)) == NULL && errno == EXDEV;
}

/* The thread's "Seccomp:" mode and "Seccomp_filters:" count, as "M/N". */
static void seccomp_line(pid_t tid, char *out, size_t size)
{
	char path[64], line[256];
	int mode = -1, filters = -1;
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "Seccomp: %d", &mode);
		sscanf(line, "Seccomp_filters: %d", &filters);
	}
	if (f) fclose(f);
	snprintf(out, size, "%d/%d", mode, filters);
}

static int tsync_mode;
static volatile int worker_tid, worker_ready, request, answer;

/* The worker: its own filter (threads mode), then runs check `request` and answers. */
static void *worker(void *arg)
{
	(void)arg;
	if (!tsync_mode && install(SYS_getcwd, EXDEV, SECCOMP_FILTER_FLAG_LOG) < 0) return NULL;
	worker_tid = gettid();
	worker_ready = 1;
	for (;;) {
		int asked = request;
		if (asked == 1) answer = 10 + (uname_blocked() && getcwd_blocked() == !tsync_mode);
		if (asked == 2) answer = 20 + (uname_blocked() && getcwd_blocked());
		if (asked) request = 0;
		usleep(1000);
	}
	return NULL;
}

static int ask(int what)
{
	answer = 0;
	request = what;
	while (request) usleep(1000);
	return answer == what * 10 + 1;
}

int main(int argc, char **argv)
{
	dir = argv[1];
	tsync_mode = argc > 2 && strcmp(argv[2], "tsync") == 0;
	pthread_t thread;
	if (!tsync_mode && install(SYS_uname, ENOTBLK, 0) < 0) {
		put("info", "error=seccomp\n");
		return 1;
	}
	pthread_create(&thread, NULL, worker, NULL);
	while (!worker_ready) usleep(1000);
	if (tsync_mode && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || install(SYS_uname, ENOTBLK, SECCOMP_FILTER_FLAG_TSYNC) != 0)) {
		put("info", "error=seccomp tsync\n");
		return 1;
	}

	char info[64];
	snprintf(info, sizeof(info), "pid=%d\nworker=%d\n", getpid(), worker_tid);
	put("info", info);
	wait_for("check");

	char main_line[32], worker_line[32];
	seccomp_line(getpid(), main_line, sizeof(main_line));
	seccomp_line(worker_tid, worker_line, sizeof(worker_line));
	int main_ok = uname_blocked() && !getcwd_blocked();
	int worker_ok = ask(1);
	int lines = strcmp(main_line, "2/1") == 0 && strcmp(worker_line, tsync_mode ? "2/1" : "2/2") == 0;
	/* tsync: a later TSYNC install still finds one filter tree, and reaches the worker */
	int later = !tsync_mode || (install(SYS_getcwd, EXDEV, SECCOMP_FILTER_FLAG_TSYNC) == 0 && getcwd_blocked() && ask(2));

	int ok = main_ok && worker_ok && lines && later;
	char result[256];
	snprintf(result, sizeof(result), "status=%s\nmain=%d\nworker=%d\nlines=%d\nmain_line=%s\nworker_line=%s\nlater=%d\n", ok ? "OK" : "BAD", main_ok,
		 worker_ok, lines, main_line, worker_line, later);
	put("result", result);
	for (;;) pause();
}
