/* A dump target with known state: a heap buffer and a big mmap'd buffer holding a pattern, a
 * regular file at offset 5, a pipe with unread bytes, and a second thread counting. When DIR/check
 * appears it checks all of that and writes DIR/result (ok=1 or ok=0 with what failed).
 * A second argument adds: "socket" a netlink socket (a kind no dump takes yet); "shared-files" a child process that shares the
 * fd table (clone with CLONE_FILES, not a thread), whose pid is "sharer" in DIR/info; "dead-leader"
 * makes the main thread exit once DIR/info is written (pthread_exit), leaving the counting thread. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BIG (3 << 20)
#define SMALL 40000

static volatile unsigned long counter;
static char path[4096];

static unsigned char pattern(size_t i) { return (unsigned char)((i * 7 + 13) ^ (i >> 12)); }

static void *spin(void *arg) {
  (void)arg;
  for (;;) {
    counter++;
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

static void put(const char *dir, const char *name, const char *text) {
  char tmp[4200], fin[4200];
  snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
  snprintf(fin, sizeof fin, "%s/%s", dir, name);
  FILE *f = fopen(tmp, "w");
  fputs(text, f);
  fclose(f);
  rename(tmp, fin);
}

static int sleep_forever(void *arg) {
  (void)arg;
  for (;;) pause();
  return 0;
}

int main(int argc, char **argv) {
  const char *dir = argv[1];
  unsigned char *big = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  unsigned char *small = malloc(SMALL);
  for (size_t i = 0; i < BIG; i++) big[i] = pattern(i);
  for (size_t i = 0; i < SMALL; i++) small[i] = pattern(i + 99);
  snprintf(path, sizeof path, "%s/data.txt", dir);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(fd, "hello, dumped world\n", 20);
  lseek(fd, 5, SEEK_SET);
  int p[2];
  pipe(p);
  write(p[1], "pipe-bytes-xyz", 14);
  int sv[2] = {-1, -1};
  if (argc > 2 && !strcmp(argv[2], "socket")) sv[0] = socket(AF_NETLINK, SOCK_RAW, 0); /* NETLINK_ROUTE */
  pid_t sharer = -1;
  static char sharer_stack[64 * 1024];
  if (argc > 2 && !strcmp(argv[2], "shared-files")) sharer = clone(sleep_forever, sharer_stack + sizeof sharer_stack, CLONE_FILES | SIGCHLD, NULL);
  pthread_t t;
  pthread_create(&t, NULL, spin, NULL);

  char info[512];
  snprintf(info, sizeof info, "pid=%d\nbig=%p\nsmall=%p\nfd=%d\npipe_r=%d\npipe_w=%d\nsock=%d\nsharer=%d\n", getpid(), (void *)big, (void *)small, fd, p[0], p[1], sv[0], sharer);
  put(dir, "info", info);
  if (argc > 2 && !strcmp(argv[2], "dead-leader")) pthread_exit(NULL);

  char check[4200];
  snprintf(check, sizeof check, "%s/check", dir);
  for (;;) {
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL);
    if (access(check, F_OK) != 0) continue;
    unlink(check);
    int heap_ok = 1, big_ok = 1;
    for (size_t i = 0; i < BIG; i++) if (big[i] != pattern(i)) { big_ok = 0; break; }
    for (size_t i = 0; i < SMALL; i++) if (small[i] != pattern(i + 99)) { heap_ok = 0; break; }
    off_t off = lseek(fd, 0, SEEK_CUR);
    char fb[16] = {0};
    read(fd, fb, 6);
    lseek(fd, 5, SEEK_SET);
    char pb[32] = {0};
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    ssize_t n = read(p[0], pb, sizeof pb - 1);
    if (n > 0) write(p[1], pb, n);
    unsigned long c0 = counter;
    struct timespec wait = {0, 50000000};
    nanosleep(&wait, NULL);
    int spin_ok = counter != c0;
    int ok = heap_ok && big_ok && off == 5 && !strcmp(fb, ", dump") && !strcmp(pb, "pipe-bytes-xyz") && spin_ok;
    char res[512];
    snprintf(res, sizeof res, "ok=%d\nheap=%d\nbig=%d\noff=%ld\nfile=%s\npipe=%s\nspin=%d\n", ok, heap_ok, big_ok, (long)off, fb, pb, spin_ok);
    put(dir, "result", res);
  }
}
