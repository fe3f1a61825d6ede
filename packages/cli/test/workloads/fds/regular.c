/*
 * Regular files in full, checked by the program itself after a restore (argv: DIR SHMDIR):
 *   opath_dir   an O_PATH fd of DIR/sub, used with openat to read DIR/sub/inside.txt
 *   opath_link  an O_PATH|O_NOFOLLOW fd of the symlink DIR/link (readlinkat names its target)
 *   opath_fifo  an O_PATH fd of the FIFO DIR/node, which is not an open end of it
 *   dir         DIR/sub open O_RDONLY|O_DIRECTORY, usable with openat
 *   proc        /proc/self/status with 5 bytes read: reopened for the same pid, at offset 5
 *   sys         /sys/devices/system/cpu/online with 1 byte read
 *   tmpfs       SHMDIR/shm.txt (tmpfs) open read-write, 4 bytes read
 *   append      DIR/append.log O_WRONLY|O_APPEND: a write after restore goes to the end
 *   direct      DIR/direct.bin O_RDWR|O_DIRECT at offset 4096: aligned reads still work
 *   fown        DIR/owned.txt owned by the process group, signal SIGRTMIN+3, set with euid 1234
 *   shared      DIR/shared.txt with 2 bytes read, then fork: one open file in both tasks; the
 *               child reads 5 bytes after restore, and the parent's offset moves to 7
 * Writes "pid=P\nchild=C" to DIR/info; once DIR/check appears, checks and writes DIR/result.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../run-dir.h"

#ifndef F_GETOWNER_UIDS
#define F_GETOWNER_UIDS 1041
#endif

static char *at(const char *base, const char *name)
{
	static char paths[16][4096];
	static int next;
	char *p = paths[next++ % 16];
	snprintf(p, 4096, "%s/%s", base, name);
	return p;
}

static void write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	write(fd, text, strlen(text));
	close(fd);
}

/* the fd is the file now at `path`: same device and inode */
static int same(int fd, const char *path, int nofollow)
{
	struct stat a, b;
	if (fstat(fd, &a) != 0) return 0;
	if ((nofollow ? lstat(path, &b) : stat(path, &b)) != 0) return 0;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int main(int argc, char **argv)
{
	dir = argv[1];
	const char *shm = argv[2];
	mkdir(at(dir, "sub"), 0755);
	write_file(at(dir, "sub/inside.txt"), "inside");
	symlink("sub/inside.txt", at(dir, "link"));
	mkfifo(at(dir, "node"), 0600);
	write_file(at(shm, "shm.txt"), "tmpfs-file");
	write_file(at(dir, "shared.txt"), "0123456789abcdefghij");
	write_file(at(dir, "owned.txt"), "owned");
	int raw = open(at(dir, "direct.bin"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	char block[8192];
	for (int i = 0; i < (int)sizeof(block); i++) block[i] = (char)(i * 7);
	write(raw, block, sizeof(block));
	close(raw);

	int opath_dir = open(at(dir, "sub"), O_PATH | O_DIRECTORY);
	int opath_link = open(at(dir, "link"), O_PATH | O_NOFOLLOW);
	int opath_fifo = open(at(dir, "node"), O_PATH);
	int dirfd = open(at(dir, "sub"), O_RDONLY | O_DIRECTORY);
	char buf[8192];
	int proc = open("/proc/self/status", O_RDONLY);
	read(proc, buf, 5);
	int sys = open("/sys/devices/system/cpu/online", O_RDONLY);
	read(sys, buf, 1);
	int tmpfs = open(at(shm, "shm.txt"), O_RDWR);
	read(tmpfs, buf, 4);
	int append = open(at(dir, "append.log"), O_WRONLY | O_CREAT | O_APPEND, 0644);
	write(append, "first\n", 6);
	int direct = open(at(dir, "direct.bin"), O_RDWR | O_DIRECT);
	void *aligned = NULL;
	if (posix_memalign(&aligned, 4096, 4096)) return 1;
	int direct_read = read(direct, aligned, 4096) == 4096;
	int owned = open(at(dir, "owned.txt"), O_RDONLY);
	struct f_owner_ex owner = { F_OWNER_PGRP, getpgrp() };
	seteuid(1234);
	fcntl(owned, F_SETOWN_EX, &owner);
	seteuid(0);
	fcntl(owned, F_SETSIG, SIGRTMIN + 3);
	int shared = open(at(dir, "shared.txt"), O_RDONLY);
	read(shared, buf, 2);

	pid_t child = fork();
	if (child == 0) {
		wait_for("child-go");
		char got[6] = { 0 };
		int ok = read(shared, got, 5) == 5 && strcmp(got, "23456") == 0;
		_exit(ok ? 0 : 1);
	}
	char text[8192];
	snprintf(text, sizeof(text), "pid=%d\nchild=%d\ndirect_before=%d\n", getpid(), child, direct_read);
	put("info", text);

	wait_for("check");
	int fd;
	memset(buf, 0, sizeof(buf));

	fd = openat(opath_dir, "inside.txt", O_RDONLY);
	int opath_dir_ok = fd >= 0 && read(fd, buf, sizeof(buf)) == 6 && memcmp(buf, "inside", 6) == 0 && (fcntl(opath_dir, F_GETFL) & O_PATH) && same(opath_dir, at(dir, "sub"), 0);
	if (fd >= 0) close(fd);

	memset(buf, 0, sizeof(buf));
	int opath_link_ok = readlinkat(opath_link, "", buf, sizeof(buf)) == 14 && strcmp(buf, "sub/inside.txt") == 0 && (fcntl(opath_link, F_GETFL) & O_PATH) && same(opath_link, at(dir, "link"), 1);

	struct stat st;
	int opath_fifo_ok = fstat(opath_fifo, &st) == 0 && S_ISFIFO(st.st_mode) && (fcntl(opath_fifo, F_GETFL) & O_PATH) && same(opath_fifo, at(dir, "node"), 0);

	fd = openat(dirfd, "inside.txt", O_RDONLY);
	int dir_ok = fd >= 0 && same(dirfd, at(dir, "sub"), 0) && !(fcntl(dirfd, F_GETFL) & O_PATH);
	if (fd >= 0) close(fd);

	/* the reopened status file is this process's own, at the offset it had */
	int proc_ok = lseek(proc, 0, SEEK_CUR) == 5;
	memset(buf, 0, sizeof(buf));
	read(proc, buf, sizeof(buf) - 1);
	char pid_line[64];
	snprintf(pid_line, sizeof(pid_line), "\nPid:\t%d\n", getpid());
	proc_ok = proc_ok && strncmp(buf, "\t", 1) == 0 && strstr(buf, pid_line) != NULL;

	char fresh[64] = { 0 }, rest[64] = { 0 };
	int again = open("/sys/devices/system/cpu/online", O_RDONLY);
	read(again, fresh, sizeof(fresh) - 1);
	close(again);
	int sys_ok = lseek(sys, 0, SEEK_CUR) == 1 && read(sys, rest, sizeof(rest) - 1) > 0 && strcmp(rest, fresh + 1) == 0;

	memset(buf, 0, sizeof(buf));
	int tmpfs_ok = read(tmpfs, buf, 6) == 6 && memcmp(buf, "s-file", 6) == 0 && same(tmpfs, at(shm, "shm.txt"), 0) && (fcntl(tmpfs, F_GETFL) & O_ACCMODE) == O_RDWR;

	int append_ok = (fcntl(append, F_GETFL) & O_APPEND) && write(append, "second\n", 7) == 7;
	fd = open(at(dir, "append.log"), O_RDONLY);
	memset(buf, 0, sizeof(buf));
	append_ok = append_ok && read(fd, buf, sizeof(buf)) == 13 && strcmp(buf, "first\nsecond\n") == 0;
	close(fd);

	int direct_ok = (fcntl(direct, F_GETFL) & O_DIRECT) && lseek(direct, 0, SEEK_CUR) == 4096 && pread(direct, aligned, 4096, 4096) == 4096 && memcmp(aligned, block + 4096, 4096) == 0;

	struct f_owner_ex got = { 0, 0 };
	unsigned int uids[2] = { 99, 99 };
	fcntl(owned, F_GETOWN_EX, &got);
	/* the owner's uids show only on kernels built with CONFIG_CHECKPOINT_RESTORE */
	int uids_ok = fcntl(owned, F_GETOWNER_UIDS, uids) == 0 ? uids[0] == 0 && uids[1] == 1234 : errno == EINVAL;
	int fown_ok = got.type == F_OWNER_PGRP && got.pid == getpgrp() && fcntl(owned, F_GETSIG) == SIGRTMIN + 3 && uids_ok;

	int shared_before = lseek(shared, 0, SEEK_CUR) == 2;
	put("child-go", "");
	int status = 0;
	int child_ok = waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	memset(buf, 0, sizeof(buf));
	int shared_ok = shared_before && child_ok && lseek(shared, 0, SEEK_CUR) == 7 && read(shared, buf, 3) == 3 && memcmp(buf, "789", 3) == 0;

	int ok = opath_dir_ok && opath_link_ok && opath_fifo_ok && dir_ok && proc_ok && sys_ok && tmpfs_ok && append_ok && direct_ok && fown_ok && shared_ok;
	snprintf(text, sizeof(text),
		 "status=%s\nopath_dir=%d\nopath_link=%d\nopath_fifo=%d\ndir=%d\nproc=%d\nsys=%d\ntmpfs=%d\nappend=%d\ndirect=%d\nfown=%d\nshared=%d\nchild_read=%d\n",
		 ok ? "OK" : "BAD", opath_dir_ok, opath_link_ok, opath_fifo_ok, dir_ok, proc_ok, sys_ok, tmpfs_ok, append_ok, direct_ok, fown_ok, shared_ok, child_ok);
	put("result", text);
	for (;;) pause();
}
