/*
 * Files open after their name is gone, checked by the program itself after a restore
 * (argv: DIR SHMDIR MODE).
 *   ghost:  sparse    DIR/sparse.bin, 0640, owner 1234:5678, data at 0 and at 100000 with a hole
 *                     between, mtime 10^9, open at offset 3000; a second open of it at offset 0
 *           small     SHMDIR/small.txt (tmpfs), "hello ghost", 6 bytes read
 *           tmpfile   an O_TMPFILE file in DIR holding "tmpfile-data"
 *           dir       DIR/gone, removed while open
 *           fifo      DIR/gfifo, removed while open read-write with 10 bytes queued
 *           cwd       DIR/gonecwd, the working directory, removed
 *           nested    DIR/outer/inner, removed while open, and DIR/outer after it
 *   big:    a 2 MiB file in DIR, open at offset 0
 *   linked: DIR/linked.txt, also linked as DIR/other.txt, open read-write at offset 3, then
 *           unlinked as linked.txt only
 * Then unlinks them, writes "pid=P" to DIR/info and, once DIR/check appears, checks the files
 * (contents, offset, size, mode, owner, nlink) and writes DIR/result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../run-dir.h"

#define BIG (2 << 20)
#define MTIME 1000000000

static char *at(const char *base, const char *name)
{
	static char paths[16][4096];
	static int next;
	char *p = paths[next++ % 16];
	snprintf(p, 4096, "%s/%s", base, name);
	return p;
}

static unsigned char pattern(long i) { return (unsigned char)(i * 13 + (i >> 8)); }

static int has_pattern(const unsigned char *buf, long from, long n)
{
	for (long i = 0; i < n; i++) if (buf[i] != pattern(from + i)) return 0;
	return 1;
}

/* /proc/self/fd/FD names the file as it was opened, marked deleted */
static int named(int fd, const char *path)
{
	char link[64], target[4096] = { 0 }, want[4200];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	readlink(link, target, sizeof(target) - 1);
	snprintf(want, sizeof(want), "%s (deleted)", path);
	return strcmp(target, want) == 0;
}

static unsigned char buf[BIG];

static int sparse_fd, second_fd, small_fd, tmpfile_fd, dir_fd, fifo_fd, big_fd, linked_fd, nested_fd;
/* what /proc showed as the working directory once it was removed */
static char cwd_link[4096];

static void setup_ghosts(const char *shm)
{
	unsigned char data[5000];
	sparse_fd = open(at(dir, "sparse.bin"), O_RDWR | O_CREAT, 0640);
	for (int i = 0; i < 5000; i++) data[i] = pattern(i);
	pwrite(sparse_fd, data, 5000, 0);
	for (int i = 0; i < 5000; i++) data[i] = pattern(100000 + i);
	pwrite(sparse_fd, data, 5000, 100000);
	fchown(sparse_fd, 1234, 5678);
	fchmod(sparse_fd, 0640);
	struct timespec times[2] = { { MTIME, 0 }, { MTIME, 0 } };
	futimens(sparse_fd, times);
	lseek(sparse_fd, 3000, SEEK_SET);
	second_fd = open(at(dir, "sparse.bin"), O_RDONLY);
	unlink(at(dir, "sparse.bin"));

	small_fd = open(at(shm, "small.txt"), O_RDWR | O_CREAT, 0600);
	write(small_fd, "hello ghost", 11);
	lseek(small_fd, 6, SEEK_SET);
	unlink(at(shm, "small.txt"));

	tmpfile_fd = open(dir, O_TMPFILE | O_RDWR, 0600);
	write(tmpfile_fd, "tmpfile-data", 12);

	mkdir(at(dir, "gone"), 0755);
	dir_fd = open(at(dir, "gone"), O_RDONLY | O_DIRECTORY);
	rmdir(at(dir, "gone"));

	mkfifo(at(dir, "gfifo"), 0600);
	fifo_fd = open(at(dir, "gfifo"), O_RDWR | O_NONBLOCK);
	write(fifo_fd, "ghost-fifo", 10);
	unlink(at(dir, "gfifo"));

	mkdir(at(dir, "outer"), 0755);
	mkdir(at(dir, "outer/inner"), 0755);
	nested_fd = open(at(dir, "outer/inner"), O_RDONLY | O_DIRECTORY);
	rmdir(at(dir, "outer/inner"));
	rmdir(at(dir, "outer"));

	mkdir(at(dir, "gonecwd"), 0750);
	chdir(at(dir, "gonecwd"));
	rmdir(at(dir, "gonecwd"));
	ssize_t n = readlink("/proc/self/cwd", cwd_link, sizeof(cwd_link) - 1);
	cwd_link[n > 0 ? n : 0] = 0;
}

static void check_ghosts(char *text, size_t size, const char *shm)
{
	struct stat st, st2;
	fstat(sparse_fd, &st);
	int sparse_meta = st.st_nlink == 0 && st.st_size == 105000 && st.st_mode == (S_IFREG | 0640) && st.st_uid == 1234 && st.st_gid == 5678 &&
			  st.st_mtim.tv_sec == MTIME && st.st_blocks * 512 < 105000 && named(sparse_fd, at(dir, "sparse.bin"));
	int sparse_data = lseek(sparse_fd, 0, SEEK_CUR) == 3000 && read(sparse_fd, buf, 2000) == 2000 && has_pattern(buf, 3000, 2000) &&
			  pread(sparse_fd, buf, 5000, 100000) == 5000 && has_pattern(buf, 100000, 5000) && pread(sparse_fd, buf, 10, 50000) == 10 &&
			  memcmp(buf, "\0\0\0\0\0\0\0\0\0\0", 10) == 0;
	/* two open files of one deleted file: still one inode */
	fstat(second_fd, &st2);
	int second = st2.st_ino == st.st_ino && st2.st_dev == st.st_dev && lseek(second_fd, 0, SEEK_CUR) == 0 && pwrite(sparse_fd, "XY", 2, 0) == 2 &&
		     pread(second_fd, buf, 2, 0) == 2 && memcmp(buf, "XY", 2) == 0;

	fstat(small_fd, &st);
	int small = st.st_nlink == 0 && st.st_size == 11 && st.st_mode == (S_IFREG | 0600) && read(small_fd, buf, 10) == 5 && memcmp(buf, "ghost", 5) == 0 &&
		    named(small_fd, at(shm, "small.txt"));

	fstat(tmpfile_fd, &st);
	int tmpfile = st.st_nlink == 0 && st.st_size == 12 && pread(tmpfile_fd, buf, 12, 0) == 12 && memcmp(buf, "tmpfile-data", 12) == 0 &&
		      (fcntl(tmpfile_fd, F_GETFL) & O_ACCMODE) == O_RDWR;

	fstat(dir_fd, &st);
	int gone_dir = S_ISDIR(st.st_mode) && st.st_nlink == 0 && openat(dir_fd, "x", O_CREAT | O_RDWR, 0600) < 0 && errno == ENOENT;

	fstat(fifo_fd, &st);
	memset(buf, 0, 16);
	int fifo = S_ISFIFO(st.st_mode) && st.st_nlink == 0 && read(fifo_fd, buf, 16) == 10 && memcmp(buf, "ghost-fifo", 10) == 0;

	/* the same removed directory, by the same name, is still the working directory */
	char now[4096];
	ssize_t n = readlink("/proc/self/cwd", now, sizeof(now) - 1);
	now[n > 0 ? n : 0] = 0;
	int cwd = stat(".", &st) == 0 && S_ISDIR(st.st_mode) && st.st_nlink == 0 && (st.st_mode & 07777) == 0750 && strstr(cwd_link, " (deleted)") &&
		  strcmp(now, cwd_link) == 0;

	/* a removed directory whose parent was removed too: named as before, the parent still gone */
	int nested = fstat(nested_fd, &st) == 0 && S_ISDIR(st.st_mode) && st.st_nlink == 0 && named(nested_fd, at(dir, "outer/inner")) && access(at(dir, "outer"), F_OK) != 0;

	int ok = sparse_meta && sparse_data && second && small && tmpfile && gone_dir && fifo && cwd && nested;
	snprintf(text, size, "status=%s\nsparse_meta=%d\nsparse_data=%d\nsecond=%d\nsmall=%d\ntmpfile=%d\ngone_dir=%d\nfifo=%d\ncwd=%d\nnested=%d\n", ok ? "OK" : "BAD",
		 sparse_meta, sparse_data, second, small, tmpfile, gone_dir, fifo, cwd, nested);
}

static void setup_big(void)
{
	big_fd = open(at(dir, "big.bin"), O_RDWR | O_CREAT, 0600);
	for (long i = 0; i < BIG; i++) buf[i] = pattern(i);
	write(big_fd, buf, BIG);
	lseek(big_fd, 0, SEEK_SET);
	unlink(at(dir, "big.bin"));
}

static void check_big(char *text, size_t size)
{
	struct stat st;
	fstat(big_fd, &st);
	memset(buf, 0, BIG);
	long got = 0, n;
	while (got < BIG && (n = read(big_fd, buf + got, BIG - got)) > 0) got += n;
	int big = st.st_nlink == 0 && st.st_size == BIG && got == BIG && has_pattern(buf, 0, BIG);
	snprintf(text, size, "status=%s\nbig=%d\n", big ? "OK" : "BAD", big);
}

static void setup_linked(void)
{
	linked_fd = open(at(dir, "linked.txt"), O_RDWR | O_CREAT, 0600);
	write(linked_fd, "linked-data", 11);
	lseek(linked_fd, 3, SEEK_SET);
	link(at(dir, "linked.txt"), at(dir, "other.txt"));
	unlink(at(dir, "linked.txt"));
}

static void check_linked(char *text, size_t size)
{
	struct stat st, other;
	fstat(linked_fd, &st);
	int same = stat(at(dir, "other.txt"), &other) == 0 && other.st_ino == st.st_ino && other.st_dev == st.st_dev && st.st_nlink == 1;
	memset(buf, 0, 16);
	int data = lseek(linked_fd, 0, SEEK_CUR) == 3 && read(linked_fd, buf, 16) == 8 && memcmp(buf, "ked-data", 8) == 0;
	int fd = open(at(dir, "other.txt"), O_RDONLY);
	int shared = pwrite(linked_fd, "L", 1, 0) == 1 && pread(fd, buf, 1, 0) == 1 && buf[0] == 'L';
	close(fd);
	int name = named(linked_fd, at(dir, "linked.txt"));
	int ok = same && data && shared && name;
	snprintf(text, size, "status=%s\nsame=%d\ndata=%d\nshared=%d\nname=%d\n", ok ? "OK" : "BAD", same, data, shared, name);
}

int main(int argc, char **argv)
{
	dir = argv[1];
	const char *shm = argv[2];
	const char *mode = argv[3];
	if (strcmp(mode, "ghost") == 0) setup_ghosts(shm);
	else if (strcmp(mode, "big") == 0) setup_big();
	else setup_linked();

	char text[4096];
	snprintf(text, sizeof(text), "pid=%d\n", getpid());
	put("info", text);
	wait_for("check");

	if (strcmp(mode, "ghost") == 0) check_ghosts(text, sizeof(text), shm);
	else if (strcmp(mode, "big") == 0) check_big(text, sizeof(text));
	else check_linked(text, sizeof(text));
	put("result", text);
	for (;;) pause();
}
