/*
 * A process tree that checks its own state after a restore: three levels, two sessions, three
 * process groups, four threads in every task, private memory in each, and one MAP_SHARED anonymous
 * region that every task inherits from the root.
 *
 *   root R   session leader, group leader             (started by `setsid -f tree DIR SHARED_MIB PRIVATE_MIB`)
 *   ├─ A     setsid(): leader of a second session
 *   │  └─ A1 in A's session and group
 *   ├─ B     in R's session and group
 *   ├─ D     in R's session, in C's group (moved there by R once C exists: D is older than its group leader)
 *   └─ C     in R's session, leader of a group of its own
 *
 * The shared region holds a control page, then two halves: R writes the first, B the second, and each
 * checks the other's. Every task fills PRIVATE_MIB of its own memory with a pattern of its own.
 * Once all is set up, R writes DIR/info (one line per task: pid, ppid, pgid, sid, tids). When DIR/check
 * appears, every task checks its ids, its threads (same TIDs, still counting), its private pattern, both
 * halves of the shared region, and that the region is still shared: every child writes a token R must
 * see, and R answers B through it. Children write DIR/verdict-ROLE; R gathers them into DIR/result.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run-dir.h"

enum { R, A, A1, B, D, C, ROLES };
static const char *names[ROLES] = { "root", "a", "a1", "b", "d", "c" };
#define THREADS 3

struct control {
	_Atomic int ready[ROLES];
	_Atomic int written[2];
	_Atomic uint64_t hello[ROLES];
	_Atomic uint64_t ping, pong;
};

static struct control *ctl;
static uint64_t *halves;
static size_t half_words;
static uint64_t *private_mem;
static size_t private_words;
static int role;
static pid_t ids[4];
static pid_t tids[THREADS + 1];
static volatile unsigned long counters[THREADS];

static uint64_t pattern(uint64_t seed, size_t i) { return (i * 0x9e3779b97f4a7c15ull) ^ (seed << 48) ^ (i >> 7); }

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *spin(void *arg)
{
	int i = (int)(intptr_t)arg;
	tids[i + 1] = syscall(SYS_gettid);
	for (;;) { counters[i]++; usleep(1000); }
	return NULL;
}

static int half_ok(int which, size_t step)
{
	uint64_t *h = halves + which * half_words;
	for (size_t i = 0; i < half_words; i += step) if (h[i] != pattern(100 + which, i)) return 0;
	return 1;
}

/* The task's threads: the same TIDs as before, exactly four of them, all counting. */
static int threads_ok(void)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", getpid());
	DIR *d = opendir(path);
	int n = 0, known = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.') continue;
		n++;
		for (int i = 0; i <= THREADS; i++) if (atoi(e->d_name) == tids[i]) known++;
	}
	closedir(d);
	unsigned long before[THREADS];
	for (int i = 0; i < THREADS; i++) before[i] = counters[i];
	usleep(100000);
	int moving = 1;
	for (int i = 0; i < THREADS; i++) if (counters[i] == before[i]) moving = 0;
	return n == THREADS + 1 && known == THREADS + 1 && moving && tids[0] == syscall(SYS_gettid);
}

static void check(char *out, size_t size)
{
	int ppid_ok = getppid() == ids[1], pgid_ok = getpgrp() == ids[2], sid_ok = getsid(0) == ids[3];
	int pid_ok = getpid() == ids[0];
	int thr_ok = threads_ok();
	int priv_ok = 1;
	for (size_t i = 0; i < private_words; i++) if (private_mem[i] != pattern(role, i)) { priv_ok = 0; break; }
	/* the writers check both halves in full, the others every 509th word */
	int writer = role == R || role == B;
	int halves_ok = half_ok(0, writer ? 1 : 509) && half_ok(1, writer ? 1 : 509);

	/* still shared: tokens through the region, with a deadline */
	int shared_ok = 1;
	uint64_t token = 0x5eed0000ull + (uint64_t)getpid();
	double deadline = now() + 5;
	if (role == R) {
		for (int r = A; r < ROLES; r++) {
			while (atomic_load(&ctl->hello[r]) == 0 && now() < deadline) usleep(1000);
			if (atomic_load(&ctl->hello[r]) == 0) shared_ok = 0;
		}
		while (atomic_load(&ctl->ping) == 0 && now() < deadline) usleep(1000);
		uint64_t ping = atomic_load(&ctl->ping);
		if (ping == 0) shared_ok = 0;
		else atomic_store(&ctl->pong, ping + 1);
	} else {
		atomic_store(&ctl->hello[role], token);
		if (role == B) {
			atomic_store(&ctl->ping, token);
			while (atomic_load(&ctl->pong) != token + 1 && now() < deadline) usleep(1000);
			shared_ok = atomic_load(&ctl->pong) == token + 1;
		}
	}
	int ok = pid_ok && ppid_ok && pgid_ok && sid_ok && thr_ok && priv_ok && halves_ok && shared_ok;
	snprintf(out, size, "%d ok=%d pid=%d ppid=%d pgid=%d sid=%d threads=%d private=%d halves=%d shared=%d",
		 getpid(), ok, pid_ok, ppid_ok, pgid_ok, sid_ok, thr_ok, priv_ok, halves_ok, shared_ok);
}

static void run(void)
{
	ids[0] = getpid();
	ids[1] = getppid();
	ids[2] = getpgrp();
	ids[3] = getsid(0);
	tids[0] = syscall(SYS_gettid);
	private_mem = mmap(NULL, private_words * 8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (size_t i = 0; i < private_words; i++) private_mem[i] = pattern(role, i);

	if (role == R || role == B) {
		int mine = role == R ? 0 : 1;
		uint64_t *h = halves + mine * half_words;
		for (size_t i = 0; i < half_words; i++) h[i] = pattern(100 + mine, i);
		atomic_store(&ctl->written[mine], 1);
		while (!atomic_load(&ctl->written[!mine])) usleep(1000);
		if (!half_ok(!mine, 1)) { fprintf(stderr, "%s: the other half is wrong before the dump\n", names[role]); exit(1); }
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_t t;
		pthread_create(&t, NULL, spin, (void *)(intptr_t)i);
	}
	for (int i = 0; i < THREADS; i++) while (tids[i + 1] == 0) usleep(1000);

	char line[512];
	snprintf(line, sizeof(line), "%d %d %d %d", ids[0], ids[1], ids[2], ids[3]);
	for (int i = 0; i <= THREADS; i++) snprintf(line + strlen(line), sizeof(line) - strlen(line), "%c%d", i ? ',' : ' ', tids[i]);
	char name[64];
	snprintf(name, sizeof(name), "info-%s", names[role]);
	put(name, line);
	atomic_store(&ctl->ready[role], 1);

	if (role == R) {
		for (int r = 0; r < ROLES; r++) while (!atomic_load(&ctl->ready[r])) usleep(1000);
		char info[4096] = "";
		for (int r = 0; r < ROLES; r++) {
			char path[4096], text[512] = "";
			snprintf(path, sizeof(path), "%s/info-%s", dir, names[r]);
			FILE *f = fopen(path, "r");
			fgets(text, sizeof(text), f);
			fclose(f);
			snprintf(info + strlen(info), sizeof(info) - strlen(info), "%s=%s\n", names[r], text);
		}
		put("info", info);
	}

	while (!exists("check")) usleep(10000);
	char verdict[512];
	check(verdict, sizeof(verdict));
	if (role != R) {
		snprintf(name, sizeof(name), "verdict-%s", names[role]);
		put(name, verdict);
		for (;;) pause();
	}
	char result[4096];
	snprintf(result, sizeof(result), "root=%s\n", verdict);
	int all = strstr(verdict, " ok=1 ") != NULL;
	double deadline = now() + 15;
	for (int r = A; r < ROLES; r++) {
		snprintf(name, sizeof(name), "verdict-%s", names[r]);
		while (!exists(name) && now() < deadline) usleep(10000);
		char path[4096], text[512] = "missing";
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		FILE *f = fopen(path, "r");
		if (f) { fgets(text, sizeof(text), f); fclose(f); }
		if (!strstr(text, " ok=1 ")) all = 0;
		snprintf(result + strlen(result), sizeof(result) - strlen(result), "%s=%s\n", names[r], text);
	}
	snprintf(result + strlen(result), sizeof(result) - strlen(result), "status=%s\n", all ? "OK" : "BAD");
	put("result", result);
	for (;;) pause();
}

static pid_t spawn(int as)
{
	pid_t pid = fork();
	if (pid == 0) {
		role = as;
		if (as == A) {
			setsid();
			if (spawn(A1) < 0) exit(1);
		}
		if (as == C) setpgid(0, 0);
		if (as == D) while (getpgrp() == getppid()) usleep(1000);
		run();
	}
	return pid;
}

int main(int argc, char **argv)
{
	dir = argv[1];
	/* started by `setsid -f`, whose forking parent exits at once: record the parent we end up with */
	for (pid_t first = getppid(), i = 0; first != 1 && getppid() == first && i < 2000; i++) usleep(1000);
	size_t shared_mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 16;
	size_t private_mib = argc > 3 ? strtoul(argv[3], NULL, 10) : 8;
	half_words = (shared_mib << 20) / 16;
	private_words = (private_mib << 20) / 8;
	char *region = mmap(NULL, 4096 + (shared_mib << 20), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED) return 1;
	ctl = (struct control *)region;
	halves = (uint64_t *)(region + 4096);

	role = R;
	spawn(A);
	spawn(B);
	pid_t d = spawn(D);
	pid_t c = spawn(C);
	/* both sides set C's group, as a shell does, so that D can be moved into it at once */
	setpgid(c, c);
	if (setpgid(d, c) != 0) { perror("setpgid"); return 1; }
	run();
	return 0;
}
