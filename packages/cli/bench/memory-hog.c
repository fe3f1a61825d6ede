/* Bench workload: MIB mebibytes of patterned anonymous memory (argv[2]), THREADS threads (argv[3]), then waits. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void *idle(void *arg) { (void)arg; for (;;) pause(); return NULL; }

int main(int argc, char **argv)
{
	size_t mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
	int threads = argc > 3 ? atoi(argv[3]) : 0;
	size_t size = mib << 20;
	unsigned char *p = size ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) : NULL;
	for (size_t i = 0; i < size; i += 8) *(unsigned long *)(p + i) = i * 0x9e3779b97f4a7c15ul;
	for (int i = 0; i < threads; i++) { pthread_t t; pthread_create(&t, NULL, idle, NULL); }
	char path[4096];
	snprintf(path, sizeof(path), "%s/info", argv[1]);
	FILE *f = fopen(path, "w");
	fprintf(f, "pid=%d\n", getpid());
	fclose(f);
	for (;;) pause();
}
