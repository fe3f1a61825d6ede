/*
 * memfds, checked by the program itself after a restore.
 *   shared: memfd "shared-memfd", 4 pages + 1000 bytes: pages 0, 1 and 3 written, page 2 a hole,
 *           the tail partly written; mode 0640; seals F_SEAL_GROW|F_SEAL_SHRINK; mapped MAP_SHARED
 *           whole (page 3 written through the mapping); the fd at offset 5000, O_NONBLOCK; and a
 *           second open file of it (a read-only reopen through /proc) at offset 100; and its first
 *           two pages mapped MAP_PRIVATE too, page 1 written there (the task's own copy).
 *   sealed: memfd "sealed-memfd", "hello sealed", seals F_SEAL_WRITE|F_SEAL_SEAL, then mapped
 *           MAP_SHARED read-only (a mapping that may never write).
 *   mapped: memfd "mapped-memfd" made without MFD_ALLOW_SEALING, only mapped (its fd closed).
 *   anon:   2 pages of MAP_SHARED anonymous memory, also mapped MAP_PRIVATE through
 *           /proc/self/map_files, page 0 written there (the task's own copy).
 * Writes "pid=P" to DIR/info; once DIR/check appears it checks each and writes DIR/result:
 * status=OK or BAD with each check.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../run-dir.h"

#define PAGE 4096
#define SIZE (4 * PAGE + 1000)

static unsigned char pattern(size_t i) { return (unsigned char)(i * 7 + (i >> 12) + 1); }

static int link_is(int fd, const char *want)
{
	char path[64], got[256];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, got, sizeof(got) - 1);
	if (n < 0) return 0;
	got[n] = 0;
	return strcmp(got, want) == 0;
}

/* the pages written before the dump: 0, 1 and the tail from the fd, 3 through the mapping */
static int contents_ok(int fd, const unsigned char *map)
{
	static unsigned char buf[SIZE];
	if (pread(fd, buf, SIZE, 0) != SIZE) return 0;
	for (size_t i = 0; i < 2 * PAGE; i++) if (buf[i] != pattern(i) || map[i] != pattern(i)) return 0;
	for (size_t i = 2 * PAGE; i < 3 * PAGE; i++) if (buf[i] != 0) return 0;
	for (size_t i = 3 * PAGE; i < 4 * PAGE; i++) if (buf[i] != 'M') return 0;
	for (size_t i = 4 * PAGE; i < 4 * PAGE + 500; i++) if (buf[i] != 'T') return 0;
	for (size_t i = 4 * PAGE + 500; i < SIZE; i++) if (buf[i] != 0) return 0;
	return 1;
}

int main(int argc, char **argv)
{
	dir = argv[1];
	(void)argc;

	int shared = memfd_create("shared-memfd", MFD_ALLOW_SEALING);
	ftruncate(shared, SIZE);
	static unsigned char bytes[2 * PAGE];
	for (size_t i = 0; i < sizeof(bytes); i++) bytes[i] = pattern(i);
	pwrite(shared, bytes, sizeof(bytes), 0);
	memset(bytes, 'T', 500);
	pwrite(shared, bytes, 500, 4 * PAGE);
	fchmod(shared, 0640);
	unsigned char *map = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, shared, 0);
	memset(map + 3 * PAGE, 'M', PAGE);
	fcntl(shared, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK);
	lseek(shared, 5000, SEEK_SET);
	fcntl(shared, F_SETFL, O_NONBLOCK);
	char self[64];
	snprintf(self, sizeof(self), "/proc/self/fd/%d", shared);
	int reader = open(self, O_RDONLY);
	lseek(reader, 100, SEEK_SET);
	unsigned char *private_map = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, shared, 0);
	private_map[PAGE] = 'P';

	int sealed = memfd_create("sealed-memfd", MFD_ALLOW_SEALING);
	write(sealed, "hello sealed", 12);
	fcntl(sealed, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SEAL);
	char *sealed_map = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, sealed, 0);

	int mfd = memfd_create("mapped-memfd", 0);
	ftruncate(mfd, PAGE);
	char *only = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	close(mfd);
	strcpy(only, "only mapped");

	char *anon = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	strcpy(anon, "anon shared");
	char anon_link[128];
	snprintf(anon_link, sizeof(anon_link), "/proc/self/map_files/%lx-%lx", (unsigned long)anon, (unsigned long)anon + 2 * PAGE);
	int anon_fd = open(anon_link, O_RDWR);
	char *anon_private = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, anon_fd, 0);
	close(anon_fd);
	strcpy(anon_private, "own copy");

	char info[64];
	snprintf(info, sizeof(info), "pid=%d\n", getpid());
	put("info", info);
	char check[4096];
	snprintf(check, sizeof(check), "%s/check", dir);
	while (access(check, F_OK) != 0) usleep(10000);

	struct stat st, mst;
	fstat(shared, &st);
	char mapped_link[128];
	snprintf(mapped_link, sizeof(mapped_link), "/proc/self/map_files/%lx-%lx", (unsigned long)map, (unsigned long)map + 5 * PAGE);
	int name = link_is(shared, "/memfd:shared-memfd (deleted)") && link_is(reader, "/memfd:shared-memfd (deleted)");
	int size = st.st_size == SIZE;
	int mode = (st.st_mode & 07777) == 0640;
	int seals = fcntl(shared, F_GET_SEALS) == (F_SEAL_GROW | F_SEAL_SHRINK);
	int offset = lseek(shared, 0, SEEK_CUR) == 5000 && lseek(reader, 0, SEEK_CUR) == 100;
	int contents = contents_ok(shared, map);
	/* the hole is still a hole: the data after page 2 starts at page 3 */
	int hole = lseek(shared, 0, SEEK_HOLE) == 2 * PAGE && lseek(shared, 2 * PAGE, SEEK_DATA) == 3 * PAGE;
	int flags = (fcntl(shared, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) == (O_RDWR | O_NONBLOCK) && (fcntl(reader, F_GETFL) & O_ACCMODE) == O_RDONLY;
	/* one object: the mapping maps the inode the fds are open on, and writes go both ways */
	struct stat rst;
	fstat(reader, &rst);
	int one_inode = stat(mapped_link, &mst) == 0 && mst.st_ino == st.st_ino && mst.st_dev == st.st_dev && rst.st_ino == st.st_ino;
	char got[8] = { 0 };
	map[100] = 'Z';
	map[101] = 'Y';
	int map_to_fd = pread(shared, got, 2, 100) == 2 && got[0] == 'Z' && got[1] == 'Y';
	int fd_to_map = pwrite(shared, "QR", 2, 3 * PAGE + 7) == 2 && map[3 * PAGE + 7] == 'Q' && map[3 * PAGE + 8] == 'R';
	int reader_sees = read(reader, got, 2) == 2 && got[0] == 'Z' && got[1] == 'Y';
	/* the private mapping keeps its own copy of page 1, and still maps the object where it has none */
	int private_ok = private_map[PAGE] == 'P' && private_map[PAGE + 1] == pattern(PAGE + 1) && private_map[100] == 'Z' && map[PAGE] == pattern(PAGE);
	/* the private mapping of the shared anonymous memory keeps its copy and sees the rest change */
	strcpy(anon + PAGE, "later");
	int anon_ok = strcmp(anon, "anon shared") == 0 && strcmp(anon_private, "own copy") == 0 && strcmp(anon_private + PAGE, "later") == 0;
	/* the seals still hold */
	int sealed_size = ftruncate(shared, SIZE + PAGE) < 0 && errno == EPERM && ftruncate(shared, PAGE) < 0 && errno == EPERM;

	char text[32] = { 0 };
	int sealed_ok = link_is(sealed, "/memfd:sealed-memfd (deleted)") && fcntl(sealed, F_GET_SEALS) == (F_SEAL_WRITE | F_SEAL_SEAL) &&
			pread(sealed, text, sizeof(text), 0) == 12 && strcmp(text, "hello sealed") == 0 && lseek(sealed, 0, SEEK_CUR) == 12 &&
			write(sealed, "x", 1) < 0 && errno == EPERM && fcntl(sealed, F_ADD_SEALS, F_SEAL_GROW) < 0 && errno == EPERM &&
			/* its read-only mapping shows it, and cannot become writable */
			sealed_map != MAP_FAILED && strcmp(sealed_map, "hello sealed") == 0 && mprotect(sealed_map, PAGE, PROT_READ | PROT_WRITE) < 0 && errno == EACCES;

	char line[512];
	int only_ok = 0;
	FILE *maps = fopen("/proc/self/maps", "r");
	while (fgets(line, sizeof(line), maps))
		if (strtoul(line, NULL, 16) == (unsigned long)only && strstr(line, "/memfd:mapped-memfd (deleted)")) only_ok = strcmp(only, "only mapped") == 0;
	fclose(maps);

	int ok = name && size && mode && seals && contents && hole && offset && flags && one_inode && map_to_fd && fd_to_map && reader_sees && private_ok && anon_ok && sealed_size &&
		 sealed_ok && only_ok;
	char result[1024];
	snprintf(result, sizeof(result),
		 "status=%s\nname=%d\nsize=%d\nmode=%d\nseals=%d\ncontents=%d\nhole=%d\noffset=%d\nflags=%d\none_inode=%d\nmap_to_fd=%d\nfd_to_map=%d\nreader_sees=%d\nprivate=%d\nanon_private=%d\nsealed_size=%d\nsealed=%d\nmapped_only=%d\n",
		 ok ? "OK" : "BAD", name, size, mode, seals, contents, hole, offset, flags, one_inode, map_to_fd, fd_to_map, reader_sees, private_ok, anon_ok, sealed_size, sealed_ok, only_ok);
	put("result", result);
	for (;;) pause();
}
