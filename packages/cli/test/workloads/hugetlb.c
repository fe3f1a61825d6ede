/*
 * Memory of huge pages (MAP_HUGETLB, MFD_HUGETLB), checked by the program itself after a restore.
 *   private: 4 MiB MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB, a pattern in its first 4 KiB and in the
 *            last 4 KiB of its second huge page.
 *   shared:  4 MiB MAP_SHARED|MAP_ANONYMOUS|MAP_HUGETLB, a pattern at 3 MiB; also mapped a second
 *            time through /proc/self/map_files (the same object twice).
 *   memfd:   a memfd "huge-memfd" of 2 MiB made with MFD_HUGETLB, written through its MAP_SHARED
 *            mapping, its fd kept at offset 1000.
 * Each check: the contents, the mapping still of 2 MiB pages (KernelPageSize) on the same device
 * (the kernel's hugetlbfs), and writes seen through every view of a shared object.
 * Writes "pid=P" to DIR/info; once DIR/check appears it writes DIR/result.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "run-dir.h"

#define HUGE (2UL << 20)
#define SMALL 4096UL

static unsigned char pattern(size_t i, int seed) { return (unsigned char)(i * 13 + seed + (i >> 9)); }

static void fill(unsigned char *at, size_t length, int seed)
{
	for (size_t i = 0; i < length; i++) at[i] = pattern(i, seed);
}

static int same(const unsigned char *at, size_t length, int seed)
{
	for (size_t i = 0; i < length; i++)
		if (at[i] != pattern(i, seed)) return 0;
	return 1;
}

/* The device /proc/self/maps shows for the mapping at `at`, and its KernelPageSize in kB. */
static int mapping_of(void *at, unsigned long *dev, unsigned long *page_kb)
{
	char line[512];
	int found = 0;
	*dev = 0;
	*page_kb = 0;
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f) return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end, major, minor;
		if (sscanf(line, "%lx-%lx %*s %*x %lx:%lx", &start, &end, &major, &minor) == 4 && strchr(line, '-') < strchr(line, ' ')) {
			found = start == (unsigned long)at;
			if (found) *dev = makedev(major, minor);
			continue;
		}
		if (found && sscanf(line, "KernelPageSize: %lu kB", page_kb) == 1) break;
	}
	fclose(f);
	return *page_kb != 0;
}

int main(int argc, char **argv)
{
	dir = argv[1];
	(void)argc;

	unsigned char *private = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	unsigned char *shared = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	int memfd = memfd_create("huge-memfd", MFD_HUGETLB);
	if (private == MAP_FAILED || shared == MAP_FAILED || memfd < 0 || ftruncate(memfd, HUGE) < 0) {
		put("info", "error=no huge pages\n");
		return 1;
	}
	unsigned char *mapped = mmap(NULL, HUGE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	char link[128];
	snprintf(link, sizeof(link), "/proc/self/map_files/%lx-%lx", (unsigned long)shared, (unsigned long)shared + 2 * HUGE);
	int again_fd = open(link, O_RDWR);
	unsigned char *again = mmap(NULL, 2 * HUGE, PROT_READ | PROT_WRITE, MAP_SHARED, again_fd, 0);
	close(again_fd);
	if (mapped == MAP_FAILED || again == MAP_FAILED) {
		put("info", "error=cannot map\n");
		return 1;
	}
	fill(private, SMALL, 1);
	fill(private + 2 * HUGE - SMALL, SMALL, 2);
	fill(shared + 3 * (1UL << 20), SMALL, 3);
	fill(mapped + 100, SMALL, 4);
	lseek(memfd, 1000, SEEK_SET);

	unsigned long dev[3], page_kb[3];
	void *areas[3] = { private, shared, mapped };
	for (int i = 0; i < 3; i++) mapping_of(areas[i], &dev[i], &page_kb[i]);

	char info[64];
	snprintf(info, sizeof(info), "pid=%d\n", getpid());
	put("info", info);
	wait_for("check");

	int contents = same(private, SMALL, 1) && same(private + 2 * HUGE - SMALL, SMALL, 2) && same(shared + 3 * (1UL << 20), SMALL, 3) &&
		       same(again + 3 * (1UL << 20), SMALL, 3) && same(mapped + 100, SMALL, 4);
	int huge = 1;
	for (int i = 0; i < 3; i++) {
		unsigned long now_dev, now_kb;
		huge = huge && mapping_of(areas[i], &now_dev, &now_kb) && now_kb == 2048 && now_kb == page_kb[i] && now_dev == dev[i];
	}
	/* one object each: a write through one view shows through the other */
	shared[5] = 'S';
	mapped[7] = 'M';
	char got = 0;
	int shared_ok = again[5] == 'S';
	int memfd_ok = pread(memfd, &got, 1, 7) == 1 && got == 'M' && lseek(memfd, 0, SEEK_CUR) == 1000;
	/* the private memory is the task's own and still writable everywhere */
	private[HUGE + 3] = 'P';
	int private_ok = private[HUGE + 3] == 'P';

	int ok = contents && huge && shared_ok && memfd_ok && private_ok;
	char result[256];
	snprintf(result, sizeof(result), "status=%s\ncontents=%d\nhuge=%d\nshared=%d\nmemfd=%d\nprivate=%d\n", ok ? "OK" : "BAD", contents, huge, shared_ok,
		 memfd_ok, private_ok);
	put("result", result);
	for (;;) pause();
}
