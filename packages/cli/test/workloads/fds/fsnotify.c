/*
 * inotify and fanotify, checked by the program itself after a restore.
 *   inotify "in" (IN_NONBLOCK): wd 1 on DIR/watched (IN_CREATE|IN_DELETE), wd 3 on DIR/file.txt
 *     (IN_MODIFY|IN_EXCL_UNLINK); wd 2 was added on DIR/other and removed, so the next wd is 4.
 *     The test renames DIR/file.txt to DIR/moved.txt between dump and restore: the watch must
 *     follow the inode, not the path.
 *   inotify "once" (blocking): wd 1 on DIR/watched (IN_ATTRIB|IN_ONESHOT).
 *   inotify "gone" (IN_NONBLOCK): wd 1 on DIR/gone.txt (IN_CLOSE_WRITE), a file the program holds
 *     open for writing and has unlinked: its watch must follow the file to its ghost.
 *   fanotify "fan" (FAN_CLASS_NOTIF|FAN_NONBLOCK, O_RDONLY events): an inode mark on DIR/fan-file
 *     (FAN_MODIFY), a mount mark on DIR/mnt, which the program bind-mounts on itself (FAN_OPEN),
 *     and an ignore mark on DIR/mnt/quiet (FAN_OPEN, surviving modification).
 * With "filesystem-mark" as its second argument, the group also gets a FAN_MARK_FILESYSTEM mark.
 * Every event queued before the dump is read first. Writes "pid=P" to DIR/info; once DIR/check
 * appears it makes events and checks what each instance reports, then writes DIR/result:
 * status=OK or BAD with each check. The test unmounts DIR/mnt.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../run-dir.h"

static char *at(const char *name)
{
	static char paths[8][4096];
	static int next;
	char *p = paths[next++ % 8];
	snprintf(p, 4096, "%s/%s", dir, name);
	return p;
}

static void touch(const char *name)
{
	close(open(at(name), O_WRONLY | O_CREAT, 0600));
}

static void append(const char *name)
{
	int fd = open(at(name), O_WRONLY | O_APPEND);
	write(fd, "x", 1);
	close(fd);
}

static void drain(int fd)
{
	char buf[4096];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (poll(&p, 1, 0) > 0 && read(fd, buf, sizeof(buf)) > 0)
		;
}

/* queued inotify events of one instance: one read may return several */
struct events {
	int fd;
	char buf[4096] __attribute__((aligned(8)));
	ssize_t len, pos;
};

/* the next inotify event, waiting up to a second; wd -1 if none */
static struct inotify_event *next_event(struct events *q)
{
	static struct inotify_event none = { .wd = -1 };
	if (q->pos >= q->len) {
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		q->pos = q->len = 0;
		if (poll(&p, 1, 1000) <= 0) return &none;
		q->len = read(q->fd, q->buf, sizeof(q->buf));
		if (q->len < (ssize_t)sizeof(struct inotify_event)) return &none;
	}
	struct inotify_event *e = (struct inotify_event *)(q->buf + q->pos);
	q->pos += sizeof(*e) + e->len;
	return e;
}

/* the watch line of wd `wd` in an fdinfo shows `mask` */
static int fdinfo_mask(int fd, int wd, unsigned mask)
{
	char path[64], line[512], want[64];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	snprintf(want, sizeof(want), "mask:%x ", mask);
	FILE *f = fopen(path, "r");
	int found = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned w;
		if (sscanf(line, "inotify wd:%x", &w) == 1 && (int)w == wd && strstr(line, want)) found = 1;
	}
	fclose(f);
	return found;
}

/* the next fanotify event: its mask and the path of its fd; mask 0 if none within a second */
static unsigned long long fan_event(int fd, char *path, size_t size)
{
	char buf[4096];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	path[0] = 0;
	if (poll(&p, 1, 1000) <= 0) return 0;
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < (ssize_t)sizeof(struct fanotify_event_metadata)) return 0;
	struct fanotify_event_metadata *m = (void *)buf;
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", m->fd);
	ssize_t l = readlink(link, path, size - 1);
	path[l > 0 ? l : 0] = 0;
	close(m->fd);
	return m->mask;
}

int main(int argc, char **argv)
{
	dir = argv[1];
	mkdir(at("watched"), 0700);
	mkdir(at("other"), 0700);
	mkdir(at("mnt"), 0700);
	touch("file.txt");
	touch("fan-file");
	if (mount(at("mnt"), at("mnt"), NULL, MS_BIND, NULL) != 0) return 1;
	touch("mnt/quiet");
	touch("mnt/loud");

	int in = inotify_init1(IN_NONBLOCK);
	int wd1 = inotify_add_watch(in, at("watched"), IN_CREATE | IN_DELETE);
	int wd2 = inotify_add_watch(in, at("other"), IN_OPEN);
	int wd3 = inotify_add_watch(in, at("file.txt"), IN_MODIFY | IN_EXCL_UNLINK);
	inotify_rm_watch(in, wd2);
	int once = inotify_init1(0);
	int once_wd = inotify_add_watch(once, at("watched"), IN_ATTRIB | IN_ONESHOT);
	int gone_fd = open(at("gone.txt"), O_WRONLY | O_CREAT, 0600);
	write(gone_fd, "deleted but open", 16);
	int gone = inotify_init1(IN_NONBLOCK);
	int gone_wd = inotify_add_watch(gone, at("gone.txt"), IN_CLOSE_WRITE);
	unlink(at("gone.txt"));

	int fan = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY | O_LARGEFILE);
	int marks = fan >= 0 && fanotify_mark(fan, FAN_MARK_ADD, FAN_MODIFY, AT_FDCWD, at("fan-file")) == 0 &&
		    fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_OPEN, AT_FDCWD, at("mnt")) == 0 &&
		    fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORED_SURV_MODIFY, FAN_OPEN, AT_FDCWD, at("mnt/quiet")) == 0;
	/* asked to: a filesystem mark too, which a dump refuses */
	if (argc > 2 && strcmp(argv[2], "filesystem-mark") == 0) marks = marks && fanotify_mark(fan, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_CLOSE_WRITE, AT_FDCWD, at("other")) == 0;
	drain(in);
	drain(once);
	drain(gone);
	drain(fan);

	char info[128];
	snprintf(info, sizeof(info), "pid=%d\nwd1=%d\nwd3=%d\nonce=%d\ngone=%d\nmarks=%d\n", getpid(), wd1, wd3, once_wd, gone_wd, marks);
	put("info", info);
	while (access(at("check"), F_OK) != 0) usleep(10000);

	static struct events inq, onceq;
	inq.fd = in;
	onceq.fd = once;
	struct inotify_event *e;
	int flags = (fcntl(in, F_GETFL) & O_NONBLOCK) != 0 && (fcntl(once, F_GETFL) & O_NONBLOCK) == 0;
	int masks = fdinfo_mask(in, 1, IN_CREATE | IN_DELETE) && fdinfo_mask(in, 3, IN_MODIFY | IN_EXCL_UNLINK) &&
		    fdinfo_mask(once, 1, IN_ATTRIB | IN_ONESHOT);
	touch("watched/new-file");
	e = next_event(&inq);
	int created = e->wd == 1 && e->mask == IN_CREATE && e->len > 0 && strcmp(e->name, "new-file") == 0;
	/* the file was renamed while the program was not running: the watch is on its inode */
	append("moved.txt");
	e = next_event(&inq);
	int modified = e->wd == 3 && e->mask == IN_MODIFY;
	char rest[4096];
	int quiet = inq.pos >= inq.len && read(in, rest, sizeof(rest)) < 0 && errno == EAGAIN;
	int next_wd = inotify_add_watch(in, at("other"), IN_OPEN) == 4;

	chmod(at("watched"), 0750);
	e = next_event(&onceq);
	int attrib = e->wd == 1 && e->mask == (IN_ATTRIB | IN_ISDIR);
	e = next_event(&onceq);
	int oneshot = e->wd == 1 && e->mask == IN_IGNORED;

	/* the last close of the deleted file is seen by its watch */
	static struct events goneq;
	goneq.fd = gone;
	close(gone_fd);
	e = next_event(&goneq);
	int deleted = e->wd == 1 && e->mask == IN_CLOSE_WRITE;

	char path[4096];
	append("fan-file");
	unsigned long long m = fan_event(fan, path, sizeof(path));
	int fan_inode = m == FAN_MODIFY && strcmp(path, at("fan-file")) == 0;
	close(open(at("mnt/quiet"), O_RDONLY));
	close(open(at("mnt/loud"), O_RDONLY));
	m = fan_event(fan, path, sizeof(path));
	int fan_mount = m == FAN_OPEN && strcmp(path, at("mnt/loud")) == 0;
	int fan_quiet = fan_event(fan, path, sizeof(path)) == 0;
	int fan_flags = (fcntl(fan, F_GETFL) & O_NONBLOCK) != 0;

	int ok = flags && masks && created && modified && quiet && next_wd && attrib && oneshot && deleted && fan_inode && fan_mount && fan_quiet && fan_flags;
	char result[1024];
	snprintf(result, sizeof(result),
		 "status=%s\nflags=%d\nmasks=%d\ncreated=%d\nmodified=%d\nquiet=%d\nnext_wd=%d\nattrib=%d\noneshot=%d\ndeleted=%d\nfan_inode=%d\nfan_mount=%d\nfan_quiet=%d\nfan_flags=%d\n",
		 ok ? "OK" : "BAD", flags, masks, created, modified, quiet, next_wd, attrib, oneshot, deleted, fan_inode, fan_mount, fan_quiet, fan_flags);
	put("result", result);
	for (;;) pause();
}
