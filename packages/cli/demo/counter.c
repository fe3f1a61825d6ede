/*
 * The demo's sample program: counts ten times a second into DIR/count, and keeps 32 MiB of
 * patterned memory whose checksum it verifies on every count. After a restore it must go on
 * counting from where it stopped, with the same PID and the same memory.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MEMORY (32u << 20)

static uint64_t checksum(const uint8_t *p, size_t n)
{
	uint64_t sum = 1469598103934665603ull;
	for (size_t i = 0; i < n; i += 64)
		sum = (sum ^ p[i]) * 1099511628211ull;
	return sum;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	char path[4096], tmp[4096];
	uint8_t *memory = malloc(MEMORY);
	for (size_t i = 0; i < MEMORY; i++)
		memory[i] = (uint8_t)(i * 7 + (i >> 12));
	const uint64_t expected = checksum(memory, MEMORY);

	snprintf(path, sizeof(path), "%s/pid", argv[1]);
	FILE *f = fopen(path, "w");
	fprintf(f, "%d\n", getpid());
	fclose(f);

	snprintf(path, sizeof(path), "%s/count", argv[1]);
	snprintf(tmp, sizeof(tmp), "%s/count.tmp", argv[1]);
	for (unsigned long count = 1;; count++) {
		const int ok = checksum(memory, MEMORY) == expected;
		f = fopen(tmp, "w");
		fprintf(f, "count=%lu pid=%d memory=%s\n", count, getpid(), ok ? "ok" : "BAD");
		fclose(f);
		rename(tmp, path);
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		while (nanosleep(&ts, &ts) != 0)
			;
	}
}
