/*
 * A process whose seccomp filter kills it on getppid(2); otherwise it sleeps until DIR/stop appears.
 * Usage: seccomp_kill DIR. Writes DIR/info when the filter is in place, DIR/result at the end.
 */
#define _GNU_SOURCE
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
	if (argc < 2) return 2;
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof code / sizeof code[0], code };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) return 3;
	char path[4096], tmp[4096];
	snprintf(path, sizeof path, "%s/info", argv[1]);
	snprintf(tmp, sizeof tmp, "%s/.info", argv[1]);
	FILE *f = fopen(tmp, "w");
	fprintf(f, "pid=%d\ninsns=%zu\n", getpid(), sizeof code / sizeof code[0]);
	fclose(f);
	rename(tmp, path);
	snprintf(path, sizeof path, "%s/stop", argv[1]);
	while (access(path, F_OK) != 0) usleep(2000);
	snprintf(path, sizeof path, "%s/result", argv[1]);
	f = fopen(path, "w");
	fprintf(f, "selfcheck=OK\nfailure=\n");
	fclose(f);
	return 0;
}
