/*
 * timerfd across dump and restore. Sets up
 *   - periodic: CLOCK_MONOTONIC, every 300 ms; its expirations are left unread until at least 3
 *     have been counted before the dump,
 *   - spent: CLOCK_MONOTONIC, O_NONBLOCK, one-shot 50 ms, expired and unread,
 *   - absolute: CLOCK_MONOTONIC, O_NONBLOCK, TFD_TIMER_ABSTIME one-shot LEAD ms ahead (the second
 *     argument, 1500 by default), armed just before DIR/info is written,
 *   - wallclock: CLOCK_REALTIME, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, an hour ahead, owned by
 *     the process (F_SETOWN).
 * Writes "pid=N" (and the timers' fds, the counted expirations, the absolute expiry) to DIR/info,
 * then watches `absolute` until DIR/check appears, noting when it first fires. Once DIR/check
 * appears it checks every timer and writes field=1/0 lines, measurements and status=OK or BAD to
 * DIR/result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "../run-dir.h"

#define PERIOD_NS 300000000ll

static int64_t now_ns(clockid_t clock)
{
	struct timespec ts;
	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static int64_t ns(struct timespec ts) { return ts.tv_sec * 1000000000ll + ts.tv_nsec; }

/* A numeric field of a timerfd's fdinfo ("ticks", "clockid", "settime flags" in octal). */
static long long fdinfo_field(int fd, const char *name, int base)
{
	char path[64], line[256];
	size_t len = strlen(name);
	long long value = -1;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	FILE *f = fopen(path, "r");
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, len) == 0 && line[len] == ':') value = strtoll(line + len + 1, NULL, base);
	fclose(f);
	return value;
}

/* Expirations counted so far, without reading them (timerfd_gettime moves an expired periodic timer on). */
static long long counted(int fd)
{
	struct itimerspec cur;
	timerfd_gettime(fd, &cur);
	return fdinfo_field(fd, "ticks", 10);
}

int main(int argc, char **argv)
{
	dir = argv[1];

	int periodic = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec every = { { 0, PERIOD_NS }, { 0, PERIOD_NS } };
	timerfd_settime(periodic, 0, &every, NULL);
	int spent = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	struct itimerspec once = { { 0, 0 }, { 0, 50000000 } };
	timerfd_settime(spent, 0, &once, NULL);
	int wallclock = timerfd_create(CLOCK_REALTIME, TFD_CLOEXEC);
	int64_t wall_at = now_ns(CLOCK_REALTIME) + 3600ll * 1000000000ll;
	struct itimerspec hour = { { 0, 0 }, { wall_at / 1000000000ll, wall_at % 1000000000ll } };
	timerfd_settime(wallclock, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &hour, NULL);
	fcntl(wallclock, F_SETOWN, getpid());

	while (counted(periodic) < 3) usleep(20000);
	long long before = counted(periodic);

	int absolute = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	long long lead_ms = argc > 2 ? atoll(argv[2]) : 1500;
	int64_t expiry = now_ns(CLOCK_MONOTONIC) + lead_ms * 1000000ll;
	struct itimerspec at = { { 0, 0 }, { expiry / 1000000000ll, expiry % 1000000000ll } };
	timerfd_settime(absolute, TFD_TIMER_ABSTIME, &at, NULL);

	char info[512];
	snprintf(info, sizeof(info), "pid=%d\nperiodic=%d\nspent=%d\nabsolute=%d\nwallclock=%d\nbefore=%lld\nexpiry=%lld\n", getpid(), periodic,
		 spent, absolute, wallclock, before, (long long)expiry);
	put("info", info);

	/*
	 * Watch the absolute timer, noting when it first fires. Once asked to check, take the periodic
	 * timer's expirations at once (a timer re-made without them would have counted at most one
	 * since the restore), then wait for the absolute timer if it has not fired yet.
	 */
	int64_t fired_at = -1;
	uint64_t fired = 0, held = 0;
	int asked = 0;
	int64_t give_up = 0;
	for (;;) {
		struct pollfd p = { .fd = absolute, .events = POLLIN };
		/* a poll interrupted by the dump comes back with EINTR: just look again */
		if (fired_at < 0 && poll(&p, 1, 5) == 1 && read(absolute, &fired, sizeof(fired)) == sizeof(fired)) fired_at = now_ns(CLOCK_MONOTONIC);
		if (!asked && exists("check")) {
			asked = 1;
			read(periodic, &held, sizeof(held));
			give_up = now_ns(CLOCK_MONOTONIC) + 10000000000ll;
		}
		if (asked && (fired_at >= 0 || now_ns(CLOCK_MONOTONIC) > give_up)) break;
		if (fired_at >= 0) usleep(5000);
	}

	/* absolute: fired once, not before its expiry, still absolute, now spent */
	struct itimerspec cur;
	timerfd_gettime(absolute, &cur);
	int absolute_ok = fired_at >= expiry && fired == 1 && fdinfo_field(absolute, "settime flags", 8) == TFD_TIMER_ABSTIME &&
		ns(cur.it_value) == 0 && (fcntl(absolute, F_GETFL) & O_NONBLOCK);

	/* periodic: the expirations counted before the dump are still there to read */
	timerfd_gettime(periodic, &cur);
	int kept_ok = (long long)held >= before && ns(cur.it_interval) == PERIOD_NS && fdinfo_field(periodic, "clockid", 10) == CLOCK_MONOTONIC;
	/* ...and it goes on firing every 300 ms (counted from an expiry: the blocking read returns at one) */
	uint64_t skipped = 0;
	read(periodic, &skipped, sizeof(skipped));
	int64_t from = now_ns(CLOCK_MONOTONIC);
	usleep(1200000);
	uint64_t later = 0;
	read(periodic, &later, sizeof(later));
	int64_t elapsed = now_ns(CLOCK_MONOTONIC) - from;
	long long expected = elapsed / PERIOD_NS;
	int period_ok = (long long)later >= expected - 1 && (long long)later <= expected + 1;

	/* spent: its one expiry is still unread, and it is disarmed */
	uint64_t spent_ticks = 0;
	int spent_read = read(spent, &spent_ticks, sizeof(spent_ticks)) == sizeof(spent_ticks);
	timerfd_gettime(spent, &cur);
	int spent_ok = spent_read && spent_ticks == 1 && read(spent, &spent_ticks, sizeof(spent_ticks)) < 0 && errno == EAGAIN &&
		ns(cur.it_value) == 0 && ns(cur.it_interval) == 0;

	/* wallclock: still absolute with cancel-on-set, still about an hour away */
	timerfd_gettime(wallclock, &cur);
	int64_t left = ns(cur.it_value);
	int wall_ok = fdinfo_field(wallclock, "clockid", 10) == CLOCK_REALTIME &&
		fdinfo_field(wallclock, "settime flags", 8) == (TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) &&
		left > 3500ll * 1000000000ll && left <= 3600ll * 1000000000ll && (fcntl(wallclock, F_GETFD) & FD_CLOEXEC) && fcntl(wallclock, F_GETOWN) == getpid();

	int ok = absolute_ok && kept_ok && period_ok && spent_ok && wall_ok;
	char text[1024];
	snprintf(text, sizeof(text),
		 "absolute=%d\nkept=%d\nperiod=%d\nspent=%d\nwallclock=%d\nfired_at=%lld\nexpiry=%lld\nfired=%llu\nheld=%llu\nbefore=%lld\n"
		 "later=%llu\nelapsed=%lld\nstatus=%s\n",
		 absolute_ok, kept_ok, period_ok, spent_ok, wall_ok, (long long)fired_at, (long long)expiry, (unsigned long long)fired,
		 (unsigned long long)held, before, (unsigned long long)later, (long long)elapsed, ok ? "OK" : "BAD");
	put("result", text);
	for (;;) pause();
}
