/* Another debugger: seizes the task whose pid it is given and holds it until killed. */
#include <stdlib.h>
#include <sys/ptrace.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2 || ptrace(PTRACE_SEIZE, atoi(argv[1]), 0, 0) != 0) return 1;
	for (;;) pause();
}
