/*
 * A 32-bit (ia32) task with no libc (the machine has no 32-bit libc): it sleeps 20 ms at a time through
 * int 0x80 forever. Built with -m32 -nostdlib -static.
 */
static long sys3(long nr, long a, long b, long c) {
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
	return r;
}
void _start(void) {
	struct { long s, ns; } ts = { 0, 20000000 };
	for (;;) sys3(162 /* nanosleep */, (long)&ts, 0, 0);
}
