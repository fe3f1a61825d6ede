/*
 * A parent with four children it has not waited for: one exited with code 7, one killed by SIGTERM
 * and one by SIGKILL (all three zombies), one stopped by SIGSTOP. Writes "pid=N\nexited=..\nsignaled=..\nstopped=.."
 * to DIR/info; once DIR/check appears it checks, and writes status=OK or BAD to DIR/result:
 * the zombies are still there to collect with their statuses, the stopped child is still stopped,
 * and once continued it finishes (exit code 3).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run-dir.h"

static char state_of(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f) return '?';
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	char *end = strrchr(buf, ')');
	return end ? end[2] : '?';
}

int main(int argc, char **argv)
{
	if (argc < 2) return 2;
	dir = argv[1];
	pid_t exited = fork();
	if (exited == 0) _exit(7);
	pid_t signaled = fork();
	if (signaled == 0) {
		for (;;) pause();
	}
	pid_t killed = fork();
	if (killed == 0) {
		for (;;) pause();
	}
	pid_t stopped = fork();
	if (stopped == 0) {
		raise(SIGSTOP);
		_exit(3);
	}
	kill(signaled, SIGTERM);
	kill(killed, SIGKILL);
	while (state_of(exited) != 'Z' || state_of(signaled) != 'Z' || state_of(killed) != 'Z' || state_of(stopped) != 'T') usleep(1000);

	char path[4096];
	snprintf(path, sizeof(path), "%s/info", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "pid=%d\nexited=%d\nsignaled=%d\nstopped=%d\n", getpid(), exited, signaled, stopped);
	fclose(f);

	snprintf(path, sizeof(path), "%s/check", dir);
	while (access(path, F_OK) != 0) usleep(10000);
	int still_stopped = state_of(stopped) == 'T';
	int status = 0;
	int exited_ok = waitpid(exited, &status, WNOHANG) == exited && WIFEXITED(status) && WEXITSTATUS(status) == 7;
	int signaled_ok = waitpid(signaled, &status, WNOHANG) == signaled && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM;
	signaled_ok = signaled_ok && waitpid(killed, &status, WNOHANG) == killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	kill(stopped, SIGCONT);
	int stopped_ok = still_stopped && waitpid(stopped, &status, 0) == stopped && WIFEXITED(status) && WEXITSTATUS(status) == 3;
	char text[256];
	snprintf(text, sizeof(text), "status=%s\nexited=%d\nsignaled=%d\nstopped=%d\n", exited_ok && signaled_ok && stopped_ok ? "OK" : "BAD",
		 exited_ok, signaled_ok, stopped_ok);
	put("result", text);
	for (;;) pause();
}
