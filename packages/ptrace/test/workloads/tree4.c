/*
 * A busy little process for freeze/thaw tests: four threads and a fork loop, a big buffer with a
 * checksum of its own, an open file at a known offset, and a thread spinning on a register.
 * Usage: tree4 DIR MIB [CHILD_MS]: each forked child lives CHILD_MS ms (default 0). Writes DIR/info once set up; when DIR/stop appears it stops, checks itself
 * and writes DIR/result. Every check compares against what the program itself saw before.
 * SIGRTMIN+1 is counted (rt_signals in the result).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *dir;
static volatile int stop_all;
static uint32_t *big;
static size_t big_words;
static uint32_t big_sum;
static volatile uint64_t regs_got, regs_xmm;
static volatile pid_t regs_tid, counter_tid, sleeper_tid;
static volatile uint64_t counter_a, counter_b, counter_bad;
static volatile uint64_t sleeps, sleeps_short;
static char failure[512];
static volatile int rt_signals;

/* The handler may run in two threads at once (the signal is the process's): count atomically. */
static void on_rt(int sig) {
	(void)sig;
	__atomic_add_fetch(&rt_signals, 1, __ATOMIC_RELAXED);
}

static uint32_t checksum(const uint32_t *w, size_t n) {
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) h = (h ^ w[i]) * 16777619u;
	return h;
}

static double now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Spins until r12 becomes non-zero (a tracer writes it) or the program stops; r13 and xmm7 hold a
 * marker, which xmm7 gives back at the end (a thread whose vector registers were lost shows it).
 */
static void *regs_thread(void *arg) {
	uint64_t got, xmm;
	(void)arg;
	regs_tid = syscall(SYS_gettid);
	__asm__ volatile(
		"movabs $0x1234abcd5678ef01, %%r13\n"
		"movq %%r13, %%xmm7\n"
		"xor %%r12, %%r12\n"
		"1: pause\n"
		"test %%r12, %%r12\n"
		"jnz 2f\n"
		"cmpl $0, %2\n"
		"je 1b\n"
		"2: mov %%r12, %0\n"
		"movq %%xmm7, %1\n"
		: "=r"(got), "=r"(xmm) : "m"(stop_all) : "r12", "r13", "xmm7", "memory", "cc");
	regs_got = got;
	regs_xmm = xmm;
	return NULL;
}

/* Keeps two counters in lock step; a torn or rewound thread would break b == 3 * a. */
static void *counter_thread(void *arg) {
	(void)arg;
	counter_tid = syscall(SYS_gettid);
	while (!stop_all) {
		counter_a++;
		counter_b += 3;
		if (counter_b != 3 * counter_a) counter_bad++;
		if ((counter_a & 0xffff) == 0) usleep(100);
	}
	return NULL;
}

/* Sleeps in short steps; an interrupted sleep that is not restarted properly ends early. */
static void *sleeper_thread(void *arg) {
	(void)arg;
	sleeper_tid = syscall(SYS_gettid);
	while (!stop_all) {
		double t0 = now();
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
		if (now() - t0 < 0.0049) sleeps_short++;
		sleeps++;
	}
	return NULL;
}

static void write_file(const char *name, const char *text) {
	char path[4096], tmp[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
	FILE *f = fopen(tmp, "w");
	if (!f) exit(90);
	fputs(text, f);
	fclose(f);
	rename(tmp, path);
}

int main(int argc, char **argv) {
	if (argc < 3) return 2;
	dir = argv[1];
	size_t mib = strtoul(argv[2], NULL, 10);
	long child_ms = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
	big_words = mib * 1024 * 1024 / 4;
	big = mmap(NULL, big_words * 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (big == MAP_FAILED) return 3;
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < big_words; i++) {
		x ^= x << 13; x ^= x >> 17; x ^= x << 5;
		big[i] = x;
	}
	big_sum = checksum(big, big_words);

	char path[4096];
	snprintf(path, sizeof path, "%s/stolen.txt", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "criu-ts fd payload\n", 19) != 19 || lseek(fd, 5, SEEK_SET) != 5) return 4;

	/* Queued real-time signals are counted exactly: none may be lost or doubled by a freeze. */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_rt;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGRTMIN + 1, &sa, NULL);

	pthread_t t[3];
	pthread_create(&t[0], NULL, regs_thread, NULL);
	pthread_create(&t[1], NULL, counter_thread, NULL);
	pthread_create(&t[2], NULL, sleeper_thread, NULL);
	while (!regs_tid || !counter_tid || !sleeper_tid) usleep(1000);

	char info[1024];
	snprintf(info, sizeof info, "pid=%d\nbuf=%p\nbytes=%zu\nchecksum=%u\nfd=%d\nregs_tid=%d\ncounter_tid=%d\nsleeper_tid=%d\n",
		 getpid(), (void *)big, big_words * 4, big_sum, fd, regs_tid, counter_tid, sleeper_tid);
	write_file("info", info);

	/* The fork loop: each child computes something and exits with it; the parent checks it got it. */
	unsigned long forks = 0, fork_bad = 0;
	snprintf(path, sizeof path, "%s/stop", dir);
	while (access(path, F_OK) != 0) {
		pid_t c = fork();
		if (c == 0) {
			unsigned s = 0;
			for (unsigned i = 0; i < 100000; i++) s += i * (unsigned)forks;
			if (child_ms) usleep(child_ms * 1000);
			_exit((int)((s ^ forks) & 0x7f));
		}
		if (c < 0) { fork_bad++; continue; }
		unsigned s = 0;
		for (unsigned i = 0; i < 100000; i++) s += i * (unsigned)forks;
		int st;
		while (waitpid(c, &st, 0) < 0 && errno == EINTR) {}
		if (!WIFEXITED(st) || WEXITSTATUS(st) != (int)((s ^ forks) & 0x7f)) fork_bad++;
		forks++;
		usleep(2000);
	}

	stop_all = 1;
	for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
	uint32_t again = checksum(big, big_words);
	off_t off = lseek(fd, 0, SEEK_CUR);
	if (again != big_sum) snprintf(failure + strlen(failure), 100, "buffer checksum %u != %u; ", again, big_sum);
	if (counter_bad) snprintf(failure + strlen(failure), 100, "counter broke %llu times; ", (unsigned long long)counter_bad);
	if (fork_bad) snprintf(failure + strlen(failure), 100, "%lu bad forks; ", fork_bad);
	if (sleeps_short) snprintf(failure + strlen(failure), 100, "%llu short sleeps; ", (unsigned long long)sleeps_short);
	char result[2048];
	snprintf(result, sizeof result, "selfcheck=%s\nfailure=%s\nforks=%lu\ncounter=%llu\nsleeps=%llu\nregs_got=0x%llx\nregs_xmm=0x%llx\nfd_offset=%lld\nrt_signals=%d\n",
		 failure[0] ? "FAIL" : "OK", failure, forks, (unsigned long long)counter_a, (unsigned long long)sleeps,
		 (unsigned long long)regs_got, (unsigned long long)regs_xmm, (long long)off, (int)rt_signals);
	write_file("result", result);
	return 0;
}
