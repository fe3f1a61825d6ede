/*
 * A three-level tree (root -> child -> grandchild) whose tasks each carry a task state of their own,
 * then check after a restore that they still do. Started as root with `task-state DIR`; each task
 * forks its child while it is still root, then sets itself up:
 *
 *            root (R)                    child (C)                    grandchild (G)
 *   uids     0                           65534 (keeps one cap)        65534, gids 65534/65533/65532
 *   groups   4 24                        65534 100                    none
 *   caps     bounding, permitted,        only CAP_NET_BIND_SERVICE,   none
 *            effective reduced;          inheritable and ambient
 *            one inheritable+ambient
 *   secbits  NOROOT|locked, KEEP_CAPS,   KEEP_CAPS                    0
 *            NO_CAP_AMBIENT_RAISE
 *   misc     SCHED_RR 5, nice 3, CPU 0   SCHED_BATCH nice 7, last     nice 10 reset-on-fork, CPU 0,
 *            oom 100, a thread with a    CPU, oom 300, slack 200 us,  oom 500, slack 1 ms, no_new_privs,
 *            SIGEV_THREAD_ID timer,      THP off, no_new_privs,       dumpable 0, ADDR_NO_RANDOMIZE,
 *            child subreaper,            dumpable 1                   loginuid 1234
 *            membarrier registered
 *
 * and in every task: a blocked SIGUSR2 pending on the thread, a blocked real-time signal queued 3 times
 * with distinct values, ITIMER_REAL every 100 ms, lowered RLIMIT_NOFILE and RLIMIT_CORE, and POSIX timers
 * with gaps between their ids: id 1 (SIGEV_NONE, 30 s, every 10 s) and id 3 (SIGRTMIN+3, first in 6 s,
 * then every 250 ms; ids 0 and 2 were created and deleted).
 *
 * Each task writes DIR/ready-ROLE (pid=, ppid=, timer=) and keeps a snapshot of its state; R writes
 * DIR/info (pid=) once all are ready, or error= if a setup step failed. When DIR/check appears, every
 * task compares its state with the snapshot, takes its queued signals, waits for timer 3 to fire twice
 * and writes DIR/result-ROLE: name=value lines, name_ok=1|0 for every check, and status=OK|BAD.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run-dir.h"

enum { R, C, G };
static const char *names[] = { "root", "child", "grandchild" };
static int role;
#define SIG_TIMER (SIGRTMIN + 3)
#define SIG_THREAD_TIMER (SIGRTMIN + 4)
#define SIG_QUEUED (SIGRTMIN + 1)
#define TIMER_VALUE_S 6
#define TIMER_INTERVAL_NS 250000000L

/* --- reporting ------------------------------------------------------------------------------ */

/* A setup step failed: say which, and stop (R reports it in DIR/info). */
static void fail(const char *fmt, ...)
{
	char msg[512], name[64], text[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(name, sizeof(name), "error-%s", names[role]);
	snprintf(text, sizeof(text), "%s: %s: %s\n", names[role], msg, strerror(errno));
	put(name, text);
	if (role == R) {
		char info[700];
		snprintf(info, sizeof(info), "error=%spid=%d\n", text, getpid());
		put("info", info);
	}
	exit(1);
}

#define MUST(call) do { if ((call) < 0) fail("%s", #call); } while (0)

static char report[16384];
static int all_ok = 1;

/* One NAME=VALUE line of the report. */
static void note(const char *name, const char *fmt, ...)
{
	char value[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	size_t n = strlen(report);
	snprintf(report + n, sizeof(report) - n, "%s=%s\n", name, value);
}

static void check(const char *name, int ok)
{
	note(name, "%d", ok ? 1 : 0);
	if (!ok) all_ok = 0;
}

/* --- the state a task compares before and after ---------------------------------------------- */

#define FIELDS 24
struct snapshot {
	int n;
	char name[FIELDS][32];
	char value[FIELDS][256];
};

static void add(struct snapshot *s, const char *name, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name);
	vsnprintf(s->value[s->n], sizeof(s->value[0]), fmt, ap);
	va_end(ap);
	s->n++;
}

static void status_field(struct snapshot *s, const char *field)
{
	char line[512];
	size_t len = strlen(field);
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, field, len) == 0 && line[len] == ':') {
			char *v = line + len + 1;
			while (*v == '\t' || *v == ' ') v++;
			v[strcspn(v, "\n")] = 0;
			for (char *p = v; *p; p++) if (*p == '\t') *p = ' ';
			for (size_t n = strlen(v); n > 0 && v[n - 1] == ' '; n--) v[n - 1] = 0;
			add(s, field, "%s", v);
		}
	}
	if (f) fclose(f);
}

static void proc_file(struct snapshot *s, const char *name, const char *file)
{
	char buf[256] = { 0 };
	FILE *f = fopen(file, "r");
	if (f) {
		if (!fgets(buf, sizeof(buf), f)) buf[0] = 0;
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = 0;
	add(s, name, "%s", buf);
}

static void take_snapshot(struct snapshot *s)
{
	s->n = 0;
	status_field(s, "Uid");
	status_field(s, "Gid");
	status_field(s, "Groups");
	status_field(s, "CapInh");
	status_field(s, "CapPrm");
	status_field(s, "CapEff");
	status_field(s, "CapBnd");
	status_field(s, "CapAmb");
	status_field(s, "NoNewPrivs");
	add(s, "secbits", "%#x", prctl(PR_GET_SECUREBITS));
	add(s, "dumpable", "%d", prctl(PR_GET_DUMPABLE));
	add(s, "personality", "%#x", personality(0xffffffff));
	errno = 0;
	add(s, "nice", "%d", getpriority(PRIO_PROCESS, 0));
	struct sched_param param = { 0 };
	sched_getparam(0, &param);
	add(s, "policy", "%#x/%d", sched_getscheduler(0), param.sched_priority);
	cpu_set_t cpus;
	CPU_ZERO(&cpus);
	sched_getaffinity(0, sizeof(cpus), &cpus);
	char list[256] = { 0 };
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &cpus)) snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%d", list[0] ? " " : "", cpu);
	add(s, "affinity", "%s", list);
	proc_file(s, "oom_score_adj", "/proc/self/oom_score_adj");
	proc_file(s, "loginuid", "/proc/self/loginuid");
	add(s, "timerslack", "%d", prctl(PR_GET_TIMERSLACK));
	add(s, "thp_disable", "%d", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
	int subreaper = -1;
	prctl(PR_GET_CHILD_SUBREAPER, &subreaper, 0, 0, 0);
	add(s, "subreaper", "%d", subreaper);
	/* MEMBARRIER_CMD_GET_REGISTRATIONS */
	add(s, "membarrier", "%#lx", syscall(SYS_membarrier, 1 << 9, 0, 0));
	struct rlimit nofile, core;
	getrlimit(RLIMIT_NOFILE, &nofile);
	getrlimit(RLIMIT_CORE, &core);
	add(s, "rlimits", "nofile %llu/%llu core %llu/%llu", (unsigned long long)nofile.rlim_cur, (unsigned long long)nofile.rlim_max,
	    (unsigned long long)core.rlim_cur, (unsigned long long)core.rlim_max);
}

/* --- signals and timers ------------------------------------------------------------------------ */

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

static volatile int timer_fires, timer_seen_id = -1, timer_bad_value;
static volatile long long timer_first_ns;
static int timer_value;
static void on_timer(int sig, siginfo_t *si, void *uc)
{
	(void)sig; (void)uc;
	if (timer_fires == 0) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		timer_first_ns = now.tv_sec * 1000000000LL + now.tv_nsec;
		timer_seen_id = si->si_timerid;
	}
	if (si->si_code != SI_TIMER || si->si_value.sival_int != timer_value) timer_bad_value = 1;
	timer_fires++;
}

static volatile pid_t thread_tid;
static volatile int thread_hits, thread_misses;
static void on_thread_timer(int sig) { (void)sig; if (syscall(SYS_gettid) == thread_tid) thread_hits++; else thread_misses++; }

static void *thread_main(void *arg)
{
	(void)arg;
	thread_tid = syscall(SYS_gettid);
	for (;;) pause();
	return NULL;
}

static timer_t make_timer(int notify, int signo, int value, pid_t tid)
{
	struct sigevent ev;
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = notify;
	ev.sigev_signo = signo;
	ev.sigev_value.sival_int = value;
	if (notify == SIGEV_THREAD_ID) ev._sigev_un._tid = tid;
	timer_t t;
	if (timer_create(CLOCK_MONOTONIC, &ev, &t) < 0) fail("timer_create");
	return t;
}

static void arm(timer_t t, long value_s, long value_ns, long interval_s, long interval_ns)
{
	struct itimerspec its = { { interval_s, interval_ns }, { value_s, value_ns } };
	if (timer_settime(t, 0, &its, NULL) < 0) fail("timer_settime");
}

static timer_t timer_none, timer_main, timer_thread;

/* Signals, itimer and POSIX timers: the same in every task but for values. */
static void setup_signals_and_timers(void)
{
	struct sigaction alrm = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };
	MUST(sigaction(SIGALRM, &alrm, NULL));
	struct sigaction tmr = { .sa_sigaction = on_timer, .sa_flags = SA_SIGINFO | SA_RESTART };
	MUST(sigaction(SIG_TIMER, &tmr, NULL));

	sigset_t held;
	sigemptyset(&held);
	sigaddset(&held, SIGUSR2);
	sigaddset(&held, SIG_QUEUED);
	MUST(sigprocmask(SIG_BLOCK, &held, NULL));
	MUST(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR2));
	for (int i = 1; i <= 3; i++) MUST(sigqueue(getpid(), SIG_QUEUED, (union sigval){ .sival_int = role * 100 + i }));

	struct itimerval every100ms = { { 0, 100000 }, { 0, 100000 } };
	MUST(setitimer(ITIMER_REAL, &every100ms, NULL));

	/* ids 0, 1, 2; then 0 and 2 go, so the kept ones have a gap before and between them */
	timer_t t0 = make_timer(SIGEV_NONE, 0, 0, 0);
	timer_none = make_timer(SIGEV_NONE, 0, 0, 0);
	timer_t t2 = make_timer(SIGEV_NONE, 0, 0, 0);
	MUST(timer_delete(t0));
	MUST(timer_delete(t2));
	arm(timer_none, 30, 0, 10, 0);
	timer_value = role * 1000 + 7;
	timer_main = make_timer(SIGEV_SIGNAL, SIG_TIMER, timer_value, 0);
	arm(timer_main, TIMER_VALUE_S, 0, 0, TIMER_INTERVAL_NS);
}

static void setup_rlimits(void)
{
	struct rlimit nofile = { 100 + role, 1000 + role };
	MUST(setrlimit(RLIMIT_NOFILE, &nofile));
	struct rlimit core = { 0, 4096 * (role + 1) };
	MUST(setrlimit(RLIMIT_CORE, &core));
}

static void only_cpu(int cpu)
{
	cpu_set_t cpus;
	CPU_ZERO(&cpus);
	CPU_SET(cpu, &cpus);
	MUST(sched_setaffinity(0, sizeof(cpus), &cpus));
}

static void write_self(const char *file, const char *text)
{
	int fd = open(file, O_WRONLY);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) fail("write %s", file);
	close(fd);
}

static int capset_words(uint32_t eff, uint32_t prm, uint32_t inh, uint32_t eff1, uint32_t prm1, uint32_t inh1)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2] = { { eff, prm, inh }, { eff1, prm1, inh1 } };
	return syscall(SYS_capset, &h, d);
}

#define BIT(cap) (1u << (cap))

static void setup_root(void)
{
	MUST(setpriority(PRIO_PROCESS, 0, 3));
	struct sched_param rr = { .sched_priority = 5 };
	MUST(sched_setscheduler(0, SCHED_RR, &rr));
	only_cpu(0);
	write_self("/proc/self/oom_score_adj", "100");
	gid_t groups[] = { 4, 24 };
	MUST(setgroups(2, groups));
	/* bounding: no CAP_SYS_MODULE, CAP_SYS_BOOT, CAP_MKNOD */
	MUST(prctl(PR_CAPBSET_DROP, CAP_SYS_MODULE, 0, 0, 0));
	MUST(prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0));
	MUST(prctl(PR_CAPBSET_DROP, CAP_MKNOD, 0, 0, 0));
	/* permitted: all but those and CAP_NET_RAW; effective: also without CAP_SYS_ADMIN and CAP_KILL */
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct now[2];
	MUST(syscall(SYS_capget, &h, now));
	uint32_t prm = now[0].permitted & ~(BIT(CAP_SYS_MODULE) | BIT(CAP_SYS_BOOT) | BIT(CAP_MKNOD) | BIT(CAP_NET_RAW));
	uint32_t eff = prm & ~(BIT(CAP_SYS_ADMIN) | BIT(CAP_KILL));
	uint32_t inh = BIT(CAP_NET_BIND_SERVICE) | BIT(CAP_CHOWN);
	MUST(capset_words(eff, prm, inh, now[1].effective, now[1].permitted, 0));
	MUST(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0));
	/* SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_KEEP_CAPS | SECBIT_NO_CAP_AMBIENT_RAISE */
	MUST(prctl(PR_SET_SECUREBITS, 0x53, 0, 0, 0));
	MUST(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	/* MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED */
	MUST(syscall(SYS_membarrier, 1 << 4, 0, 0));
}

/* After the signal mask is set: the thread inherits it, so the queued signals stay queued. */
static void setup_root_thread(void)
{
	struct sigaction st = { .sa_handler = on_thread_timer, .sa_flags = SA_RESTART };
	MUST(sigaction(SIG_THREAD_TIMER, &st, NULL));
	pthread_t t;
	if (pthread_create(&t, NULL, thread_main, NULL) != 0) fail("pthread_create");
	while (!thread_tid) usleep(1000);
	timer_thread = make_timer(SIGEV_THREAD_ID, SIG_THREAD_TIMER, 42, thread_tid);
	arm(timer_thread, 0, 100000000, 0, 100000000);
}

static void setup_child(void)
{
	struct sched_param none = { 0 };
	MUST(sched_setscheduler(0, SCHED_BATCH, &none));
	MUST(setpriority(PRIO_PROCESS, 0, 7));
	only_cpu(sysconf(_SC_NPROCESSORS_ONLN) - 1);
	write_self("/proc/self/oom_score_adj", "300");
	MUST(prctl(PR_SET_TIMERSLACK, 200000, 0, 0, 0));
	MUST(prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
	MUST(prctl(PR_CAPBSET_DROP, CAP_SYS_BOOT, 0, 0, 0));
	MUST(prctl(PR_CAPBSET_DROP, CAP_SYS_MODULE, 0, 0, 0));
	gid_t groups[] = { 65534, 100 };
	MUST(setgroups(2, groups));
	MUST(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	MUST(setresgid(65534, 65534, 65534));
	MUST(setresuid(65534, 65534, 65534));
	uint32_t keep = BIT(CAP_NET_BIND_SERVICE);
	MUST(capset_words(keep, keep, keep, 0, 0, 0));
	MUST(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0));
	MUST(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
	MUST(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
}

static void setup_grandchild(void)
{
	struct sched_param none = { 0 };
	MUST(sched_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &none));
	MUST(setpriority(PRIO_PROCESS, 0, 10));
	only_cpu(0);
	write_self("/proc/self/oom_score_adj", "500");
	write_self("/proc/self/loginuid", "1234");
	MUST(prctl(PR_SET_TIMERSLACK, 1000000, 0, 0, 0));
	MUST(personality(ADDR_NO_RANDOMIZE));
	MUST(setgroups(0, NULL));
	MUST(setresgid(65534, 65533, 65532));
	MUST(setresuid(65534, 65534, 65534));
	MUST(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
}

/* --- after the restore ------------------------------------------------------------------------- */

/* sigtimedwait without waiting, again when a handler interrupts it */
static int take(int sig, siginfo_t *si)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	struct timespec now = { 0, 0 };
	int got;
	while ((got = sigtimedwait(&set, si, &now)) < 0 && errno == EINTR)
		;
	return got;
}

static void verify(const struct snapshot *before, pid_t pid, pid_t ppid)
{
	struct snapshot after;
	take_snapshot(&after);
	for (int i = 0; i < before->n; i++) {
		char ok[64];
		note(before->name[i], "%s", after.value[i]);
		snprintf(ok, sizeof(ok), "%s_ok", before->name[i]);
		check(ok, strcmp(before->value[i], after.value[i]) == 0);
		if (strcmp(before->value[i], after.value[i]) != 0) {
			snprintf(ok, sizeof(ok), "%s_before", before->name[i]);
			note(ok, "%s", before->value[i]);
		}
	}
	note("pid", "%d", getpid());
	check("pid_ok", getpid() == pid);
	if (role != R) check("ppid_ok", getppid() == ppid);

	siginfo_t si;
	sigset_t pending;
	sigpending(&pending);
	check("usr2_ok", sigismember(&pending, SIGUSR2) && take(SIGUSR2, &si) == SIGUSR2);
	int queued_ok = 1;
	for (int i = 1; i <= 3; i++)
		if (take(SIG_QUEUED, &si) != SIG_QUEUED || si.si_value.sival_int != role * 100 + i) queued_ok = 0;
	if (take(SIG_QUEUED, &si) != -1) queued_ok = 0;
	check("queued_ok", queued_ok);

	struct itimerval it;
	getitimer(ITIMER_REAL, &it);
	int before_alarms = alarms;
	for (int i = 0; i < 300 && alarms <= before_alarms; i++) usleep(10000);
	check("itimer_ok", it.it_interval.tv_sec == 0 && it.it_interval.tv_usec == 100000 && alarms > before_alarms);

	/* the timer_t values the program holds are the kernel's ids: they must still work */
	struct itimerspec none, main_spec;
	int none_ok = timer_gettime(timer_none, &none) == 0 && none.it_interval.tv_sec == 10 && none.it_value.tv_sec < 30 &&
		      (none.it_value.tv_sec > 0 || none.it_value.tv_nsec > 0);
	check("timer_none_ok", none_ok);
	struct itimerspec gap;
	check("timer_gaps_ok", timer_gettime((timer_t)0, &gap) < 0 && errno == EINVAL && timer_gettime((timer_t)2, &gap) < 0 && errno == EINVAL);
	check("timer_interval_ok", timer_gettime(timer_main, &main_spec) == 0 && main_spec.it_interval.tv_sec == 0 && main_spec.it_interval.tv_nsec == TIMER_INTERVAL_NS);
	for (int i = 0; i < 2000 && timer_fires < 3; i++) usleep(10000);
	note("timer_first_ns", "%lld", timer_first_ns);
	note("timer_fires", "%d", timer_fires);
	note("timer_id", "%d", timer_seen_id);
	check("timer_fired_ok", timer_fires >= 3 && !timer_bad_value && timer_seen_id == (int)(intptr_t)timer_main);

	if (role == R) {
		int hits = thread_hits;
		for (int i = 0; i < 300 && thread_hits <= hits + 2; i++) usleep(10000);
		note("thread_hits", "%d", thread_hits);
		check("thread_timer_ok", thread_hits > hits + 2 && thread_misses == 0);
	}
}

static void run(pid_t ppid)
{
	static struct snapshot before;
	take_snapshot(&before);
	char name[64], text[256];
	snprintf(name, sizeof(name), "ready-%s", names[role]);
	snprintf(text, sizeof(text), "pid=%d\nppid=%d\ntimer=%d\ntimer_none=%d\n", getpid(), ppid, (int)(intptr_t)timer_main, (int)(intptr_t)timer_none);
	put(name, text);

	while (!exists("check")) usleep(10000);
	verify(&before, getpid(), ppid);
	note("status", "%s", all_ok ? "OK" : "BAD");
	snprintf(name, sizeof(name), "result-%s", names[role]);
	put(name, report);
	for (;;) pause();
}

int main(int argc, char **argv)
{
	if (argc < 2) return 2;
	dir = argv[1];
	role = R;
	pid_t root = getpid();
	/* the tasks end as other users, and must still see DIR/check and write their results */
	if (chmod(dir, 0777) < 0) fail("chmod %s", dir);

	pid_t child = fork();
	if (child == 0) {
		role = C;
		pid_t me = getpid();
		pid_t grandchild = fork();
		if (grandchild == 0) {
			role = G;
			setup_grandchild();
			setup_rlimits();
			setup_signals_and_timers();
			run(me);
		}
		setup_child();
		setup_rlimits();
		setup_signals_and_timers();
		run(root);
	}
	setup_root();
	setup_rlimits();
	setup_signals_and_timers();
	setup_root_thread();

	/* wait for the other two (or their error), then tell the test */
	char text[2048] = { 0 };
	for (int i = 0; i < 1000 && !(exists("ready-child") && exists("ready-grandchild")); i++) {
		if (exists("error-child") || exists("error-grandchild")) break;
		usleep(10000);
	}
	const char *errors[] = { "error-child", "error-grandchild" };
	int failed = 0;
	for (int i = 0; i < 2; i++) {
		if (!exists(errors[i])) continue;
		char path[4096], line[512] = { 0 };
		snprintf(path, sizeof(path), "%s/%s", dir, errors[i]);
		FILE *f = fopen(path, "r");
		if (f && fgets(line, sizeof(line), f)) snprintf(text + strlen(text), sizeof(text) - strlen(text), "error=%s", line);
		if (f) fclose(f);
		failed = 1;
	}
	if (!failed && !(exists("ready-child") && exists("ready-grandchild"))) snprintf(text, sizeof(text), "error=the child or grandchild never got ready\n");
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "pid=%d\n", root);
	put("info", text);
	if (failed) return 1;
	run(getppid());
	return 0;
}
