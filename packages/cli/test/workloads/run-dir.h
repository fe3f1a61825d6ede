/*
 * How a workload and its test talk: through files in the run directory the test passes as argv[1]
 * (`dir`, set by main). A file is written aside and renamed into place, so the test never reads
 * half of one.
 */
#ifndef RUN_DIR_H
#define RUN_DIR_H

#include <stdio.h>
#include <unistd.h>

static const char *dir;

/* Writes DIR/NAME holding TEXT. */
static inline void put(const char *name, const char *text)
{
	char path[4096], tmp[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/%s.tmp", dir, name);
	FILE *f = fopen(tmp, "w");
	if (!f) return;
	fputs(text, f);
	fclose(f);
	rename(tmp, path);
}

static inline int exists(const char *name)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

/* Waits until the test creates DIR/NAME. */
static inline void wait_for(const char *name)
{
	while (!exists(name)) usleep(10000);
}

#endif
