/*
 * A parent with five children it has not waited for: one exited with code 7, one killed by SIGTERM
 * and one by SIGKILL (all three zombies), one stopped by SIGSTOP, and one stopped by SIGTSTP (in a
 * process group of its own, so that the group is not orphaned and SIGTSTP stops it). Writes
 * "pid=N\nexited=..\nsignaled=..\nstopped=..\ntstp=.." to DIR/info; once DIR/check appears it checks,
 * and writes status=OK or BAD to DIR/result: the zombies are still there to collect with their
 * statuses, the stopped children are still stopped (each by its own signal, as waitpid reports),
 * and once continued they finish (exit codes 3 and 4).
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
	pid_t tstp = fork();
	if (tstp == 0) {
		setpgid(0, 0);
		raise(SIGTSTP);
		_exit(4);
	}
	kill(signaled, SIGTERM);
	kill(killed, SIGKILL);
	while (state_of(exited) != 'Z' || state_of(signaled) != 'Z' || state_of(killed) != 'Z' || state_of(stopped) != 'T' || state_of(tstp) != 'T') usleep(1000);
	/* the stops are reported now, so that any report after a restore comes from the restored stop */
	int status = 0;
	waitpid(stopped, &status, WUNTRACED);
	waitpid(tstp, &status, WUNTRACED);

	char path[4096];
	snprintf(path, sizeof(path), "%s/info", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "pid=%d\nexited=%d\nsignaled=%d\nstopped=%d\ntstp=%d\n", getpid(), exited, signaled, stopped, tstp);
	fclose(f);

	snprintf(path, sizeof(path), "%s/check", dir);
	while (access(path, F_OK) != 0) usleep(10000);
	int still_stopped = state_of(stopped) == 'T' && state_of(tstp) == 'T';
	/* the restored stops are reported with the signal of each (up to 5 s) */
	int stop_signals = 0, seen_stop = 0, seen_tstp = 0;
	for (int i = 0; i < 500 && !(seen_stop && seen_tstp); i++) {
		if (!seen_stop && waitpid(stopped, &status, WUNTRACED | WNOHANG) == stopped && WIFSTOPPED(status)) seen_stop = WSTOPSIG(status);
		if (!seen_tstp && waitpid(tstp, &status, WUNTRACED | WNOHANG) == tstp && WIFSTOPPED(status)) seen_tstp = WSTOPSIG(status);
		usleep(10000);
	}
	stop_signals = seen_stop == SIGSTOP && seen_tstp == SIGTSTP;
	int exited_ok = waitpid(exited, &status, WNOHANG) == exited && WIFEXITED(status) && WEXITSTATUS(status) == 7;
	int signaled_ok = waitpid(signaled, &status, WNOHANG) == signaled && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM;
	signaled_ok = signaled_ok && waitpid(killed, &status, WNOHANG) == killed && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
	kill(stopped, SIGCONT);
	kill(tstp, SIGCONT);
	int stopped_ok = still_stopped && stop_signals && waitpid(stopped, &status, 0) == stopped && WIFEXITED(status) && WEXITSTATUS(status) == 3;
	stopped_ok = stopped_ok && waitpid(tstp, &status, 0) == tstp && WIFEXITED(status) && WEXITSTATUS(status) == 4;
	char text[256];
	snprintf(text, sizeof(text), "status=%s\nexited=%d\nsignaled=%d\nstopped=%d\n", exited_ok && signaled_ok && stopped_ok ? "OK" : "BAD",
		 exited_ok, signaled_ok, stopped_ok);
	put("result", text);
	for (;;) pause();
}
