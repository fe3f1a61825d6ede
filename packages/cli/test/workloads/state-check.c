/*
 * A program that checks its own state after a restore. It sets up:
 *   - 64 MiB of patterned heap memory,
 *   - a private mapping of a file with some pages modified (they differ from the file), a
 *     MAP_DROPPABLE mapping, and a read-only shared mapping of a file opened read-write (which may
 *     be made writable),
 *   - a regular file open at offset 6,
 *   - a pipe with 11 unread bytes, its read end O_ASYNC and owned by the process, with SIGRTMIN+3
 *     (blocked) as its SIGIO signal,
 *   - a non-blocking eventfd holding 7, and one in semaphore mode holding 3,
 *   - 3 extra threads, each counting on its own,
 *   - a SIGUSR1 handler,
 *   - an interval timer (ITIMER_REAL, every 50 ms, counted by a SIGALRM handler),
 *   - a lowered soft limit on open files (200),
 *   - a parent-death signal (SIGWINCH, ignored by default),
 *   - blocked pending signals: a real-time signal queued 3 times with values 1, 2, 3 for the
 *     process, and SIGUSR2 sent to the main thread,
 * writes "pid=N" to DIR/info and, once DIR/check appears, checks all of it (the handler must still
 * be there and run when SIGUSR1 is raised) and writes OK or BAD to DIR/result.
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
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include "run-dir.h"

#define HEAP (64u << 20)
#define THREADS 3

static volatile sig_atomic_t asked;
static volatile unsigned long counters[THREADS];
static void on_usr1(int sig) { (void)sig; asked = 1; }
static volatile sig_atomic_t alarms;
static void on_alrm(int sig) { (void)sig; alarms++; }

static void *spin(void *arg)
{
	volatile unsigned long *c = arg;
	for (;;) { (*c)++; if ((*c & 0xfffff) == 0) usleep(1000); }
	return NULL;
}

static uint8_t pattern(size_t i) { return (uint8_t)(i * 131 + (i >> 10)); }

/* sigtimedwait without waiting, again when SIGALRM's handler interrupts it */
static int take(const sigset_t *set, siginfo_t *si)
{
	struct timespec now = { 0, 0 };
	int sig;
	while ((sig = sigtimedwait(set, si, &now)) < 0 && errno == EINTR)
		;
	return sig;
}

#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif

/* Whether the mapping starting at `addr` has VmFlag `flag` in /proc/self/smaps. */
static int vmflag(void *addr, const char *flag)
{
	char line[1024], start[32];
	snprintf(start, sizeof(start), "%lx-", (unsigned long)addr);
	FILE *f = fopen("/proc/self/smaps", "r");
	int in = 0, found = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strncmp(line, start, strlen(start)) == 0) in = 1;
		else if (in && strncmp(line, "VmFlags:", 8) == 0) {
			char want[8];
			snprintf(want, sizeof(want), " %s", flag);
			found = strstr(line, want) != NULL;
			break;
		}
	}
	if (f) fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	dir = argv[1];
	char path[4096];
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);

	uint8_t *heap = malloc(HEAP);
	for (size_t i = 0; i < HEAP; i++) heap[i] = pattern(i);

	snprintf(path, sizeof(path), "%s/mapped", dir);
	int mfd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	for (int i = 0; i < 4; i++) { char page[4096]; memset(page, 'a' + i, sizeof(page)); write(mfd, page, sizeof(page)); }
	char *mapped = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, mfd, 0);
	close(mfd);
	memset(mapped + 4096, 'X', 4096); /* page 1 now differs from the file */

	snprintf(path, sizeof(path), "%s/shared-ro", dir);
	int sfd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ftruncate(sfd, 4096);
	char *shared_ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, sfd, 0);
	close(sfd);

	snprintf(path, sizeof(path), "%s/file.txt", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	write(fd, "hello world\n", 12);
	lseek(fd, 6, SEEK_SET);

	int p[2];
	pipe(p);
	write(p[1], "pipe-data-1", 11);
	fcntl(p[0], F_SETOWN, getpid());
	fcntl(p[0], F_SETSIG, SIGRTMIN + 3);
	fcntl(p[0], F_SETFL, O_ASYNC);

	int efd = eventfd(0, EFD_NONBLOCK);
	eventfd_write(efd, 7);
	int semaphore = eventfd(3, EFD_NONBLOCK | EFD_SEMAPHORE);
	char *droppable = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_DROPPABLE | MAP_ANONYMOUS, -1, 0);
	if (droppable == MAP_FAILED) return 9;
	droppable[4096] = 'z';

	struct sigaction sa = { .sa_handler = on_usr1 };
	sigaction(SIGUSR1, &sa, NULL);

	struct sigaction alrm = { .sa_handler = on_alrm, .sa_flags = SA_RESTART };
	sigaction(SIGALRM, &alrm, NULL);
	struct itimerval every50ms = { { 0, 50000 }, { 0, 50000 } };
	setitimer(ITIMER_REAL, &every50ms, NULL);
	struct rlimit nofile;
	getrlimit(RLIMIT_NOFILE, &nofile);
	nofile.rlim_cur = 200;
	setrlimit(RLIMIT_NOFILE, &nofile);

	prctl(PR_SET_PDEATHSIG, SIGWINCH);

	sigset_t held;
	sigemptyset(&held);
	sigaddset(&held, SIGUSR2);
	sigaddset(&held, SIGRTMIN + 1);
	sigaddset(&held, SIGRTMIN + 3);
	pthread_sigmask(SIG_BLOCK, &held, NULL); /* the threads made below inherit it */
	for (int i = 1; i <= 3; i++) sigqueue(getpid(), SIGRTMIN + 1, (union sigval){ .sival_int = i });
	pthread_kill(pthread_self(), SIGUSR2);

	pthread_t t[THREADS];
	pthread_sigmask(SIG_BLOCK, &block, NULL);
	for (int i = 0; i < THREADS; i++) pthread_create(&t[i], NULL, spin, (void *)&counters[i]);
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);

	/* written aside and renamed into place: once the test sees it, no fd of it is open any more */
	char info[128];
	snprintf(info, sizeof(info), "pid=%d\nfd=%d\npipe=%d\n", getpid(), fd, p[0]);
	put("info", info);

	snprintf(path, sizeof(path), "%s/check", dir);
	while (access(path, F_OK) != 0) usleep(10000);
	raise(SIGUSR1);
	int handler_ok = asked == 1;

	int heap_ok = 1;
	for (size_t i = 0; i < HEAP; i += 4093) if (heap[i] != pattern(i)) heap_ok = 0;
	/* still a droppable mapping (its pages may be gone under memory pressure, which is its point) */
	int droppable_ok = vmflag(droppable, "dp") && (droppable[4096] == 'z' || droppable[4096] == 0);
	int map_ok = droppable_ok && mapped[0] == 'a' && mapped[4096] == 'X' && mapped[2 * 4096] == 'c' && mapped[3 * 4096 + 100] == 'd';
	/* the read-only shared mapping may still become writable, and writes through it reach the file */
	char written = 0;
	snprintf(path, sizeof(path), "%s/shared-ro", dir);
	if (mprotect(shared_ro, 4096, PROT_READ | PROT_WRITE) == 0) {
		shared_ro[10] = 'w';
		int check_fd = open(path, O_RDONLY);
		pread(check_fd, &written, 1, 10);
		close(check_fd);
	}
	map_ok = map_ok && written == 'w';
	char word[6] = { 0 };
	int file_ok = read(fd, word, 5) == 5 && strcmp(word, "world") == 0;
	char buf[32] = { 0 };
	int pipe_ok = read(p[0], buf, sizeof(buf)) == 11 && strcmp(buf, "pipe-data-1") == 0;
	/* new bytes in the pipe: its owner gets its SIGIO signal, naming the fd */
	sigset_t io;
	sigemptyset(&io);
	sigaddset(&io, SIGRTMIN + 3);
	siginfo_t io_info;
	int io_sig = -1;
	/* up to 5 s, in short waits: SIGALRM's handler interrupts them */
	if (pipe_ok && write(p[1], "!", 1) == 1) {
		for (int i = 0; i < 100 && io_sig < 0; i++) {
			struct timespec io_wait = { 0, 50000000 };
			io_sig = sigtimedwait(&io, &io_info, &io_wait);
		}
	}
	pipe_ok = pipe_ok && io_sig == SIGRTMIN + 3 && io_info.si_fd == p[0] && read(p[0], buf, 1) == 1;
	eventfd_t counted = 0;
	int eventfd_ok = eventfd_read(efd, &counted) == 0 && counted == 7 && eventfd_read(efd, &counted) < 0 && errno == EAGAIN;
	/* a semaphore eventfd counts down by one per read */
	for (int i = 0; i < 3; i++) eventfd_ok = eventfd_ok && eventfd_read(semaphore, &counted) == 0 && counted == 1;
	eventfd_ok = eventfd_ok && eventfd_read(semaphore, &counted) < 0 && errno == EAGAIN;

	/* every thread must still count; a loaded machine may take a while to run them all */
	unsigned long before[THREADS];
	for (int i = 0; i < THREADS; i++) before[i] = counters[i];
	int threads_ok = 0;
	for (int wait = 0; wait < 200 && !threads_ok; wait++) {
		usleep(10000);
		threads_ok = 1;
		for (int i = 0; i < THREADS; i++) if (counters[i] == before[i]) threads_ok = 0;
	}

	struct itimerval it;
	getitimer(ITIMER_REAL, &it);
	int before_alarms = alarms;
	for (int wait = 0; wait < 200 && alarms <= before_alarms; wait++) usleep(10000);
	int timer_ok = it.it_interval.tv_sec == 0 && it.it_interval.tv_usec == 50000 && alarms > before_alarms;
	struct rlimit lim;
	getrlimit(RLIMIT_NOFILE, &lim);
	int rlimit_ok = lim.rlim_cur == 200;

	siginfo_t si;
	sigset_t rt, usr2;
	sigemptyset(&rt);
	sigaddset(&rt, SIGRTMIN + 1);
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	int signals_ok = 1;
	for (int i = 1; i <= 3; i++)
		if (take(&rt, &si) != SIGRTMIN + 1 || si.si_value.sival_int != i) signals_ok = 0;
	if (take(&rt, &si) != -1) signals_ok = 0;
	if (take(&usr2, &si) != SIGUSR2) signals_ok = 0;

	int pdeath = 0;
	prctl(PR_GET_PDEATHSIG, &pdeath);
	int pdeath_ok = pdeath == SIGWINCH;

	char text[512];
	snprintf(text, sizeof(text), "status=%s\nheap=%d\nmapped=%d\nfile=%d\npipe=%d\nthreads=%d\nhandler=%d\ntimer=%d\nrlimit=%d\nsignals=%d\npdeath=%d\neventfd=%d\npid=%d\n",
		 heap_ok && map_ok && file_ok && pipe_ok && threads_ok && handler_ok && timer_ok && rlimit_ok && signals_ok && pdeath_ok && eventfd_ok ? "OK" : "BAD",
		 heap_ok, map_ok, file_ok, pipe_ok, threads_ok, handler_ok, timer_ok, rlimit_ok, signals_ok, pdeath_ok, eventfd_ok, getpid());
	put("result", text);
	for (;;) pause();
}
