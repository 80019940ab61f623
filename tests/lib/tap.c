// SPDX-License-Identifier: GPL-2.0
/*
 * tap.c - runner of the tap.h harness: one forked child per case, results
 * passed back in a shared page, TAP on stdout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

struct tap_result {
	int done;		/* the runner got to the end */
	int failed;
	int skipped;
	char reason[256];
};

static struct tap_case *cases, **cases_tail = &cases;
static struct tap_result *result;	/* shared with the child */
static jmp_buf case_jmp;
static pid_t case_pid;		/* the child running the case */

void tap_register(struct tap_case *c)
{
	*cases_tail = c;
	cases_tail = &c->next;
}

void tap_log(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* A process the case forked has no case to end: it exits instead. */
static void fail_end(int fatal)
{
	result->failed = 1;
	if (fatal && getpid() != case_pid)
		_exit(1);
	if (fatal)
		longjmp(case_jmp, 1);
}

void tap_fail(const char *file, int line, int fatal, const char *fmt, ...)
{
	const char *base = strrchr(file, '/');
	va_list ap;

	printf("# %s:%d: ", base ? base + 1 : file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	fail_end(fatal);
}

/* Decimal, with the errno name for -1..-4095 and hex for big values. */
static const char *fmt_val(char *buf, size_t size, __int128 v)
{
	const char *name;

	if (v < 0 && v >= -4095 && (name = strerrorname_np((int)-v)))
		snprintf(buf, size, "%lld (-%s)", (long long)v, name);
	else if (v < 0)
		snprintf(buf, size, "%lld", (long long)v);
	else if (v > 0xffff)
		snprintf(buf, size, "%llu (0x%llx)", (unsigned long long)v,
			 (unsigned long long)v);
	else
		snprintf(buf, size, "%llu", (unsigned long long)v);
	return buf;
}

void tap_cmp_fail(const char *file, int line, int fatal, const char *a,
		  const char *op, const char *b, __int128 va, __int128 vb)
{
	char sa[64], sb[64];

	fmt_val(sa, sizeof(sa), va);
	fmt_val(sb, sizeof(sb), vb);
	if (!strcmp(op, "=="))
		tap_fail(file, line, fatal, "expected %s got %s (%s)",
			 sa, sb, b);
	else
		tap_fail(file, line, fatal, "expected %s %s %s got %s and %s",
			 a, op, b, sa, sb);
}

void tap_mem_check(const char *file, int line, int fatal, const char *a,
		   const char *b, const void *pa, const void *pb, size_t len)
{
	const unsigned char *x = pa, *y = pb;
	size_t i;

	for (i = 0; i < len && x[i] == y[i]; i++)
		;
	if (i == len)
		return;
	tap_fail(file, line, fatal,
		 "expected %s == %s for %zu bytes got 0x%02x vs 0x%02x at offset %zu (page %zu + %zu)",
		 a, b, len, x[i], y[i], i, i / 4096, i % 4096);
}

void tap_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(result->reason, sizeof(result->reason), fmt, ap);
	va_end(ap);
	result->skipped = 1;
	if (getpid() != case_pid)
		_exit(0);
	longjmp(case_jmp, 1);
}

/* In the child: setup, body, teardown, then report through result. */
static void run_child(struct tap_case *c)
{
	void *self = calloc(1, c->self_size ? c->self_size : 1);
	volatile int set_up = 0;

	case_pid = getpid();
	setpgid(0, 0);
	if (!setjmp(case_jmp)) {
		c->run(self, TAP_SETUP);
		set_up = 1;
		c->run(self, TAP_BODY);
	}
	if (set_up && !setjmp(case_jmp))
		c->run(self, TAP_TEARDOWN);
	result->done = 1;
	fflush(stdout);
	_exit(0);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait for pid up to timeout seconds; kill its process group after. */
static int wait_case(pid_t pid, int timeout, int *status)
{
	double end = now() + timeout;
	int timed_out = 0;
	pid_t r;

	while ((r = waitpid(pid, status, WNOHANG)) != pid) {
		if (r < 0 && errno != EINTR) {
			*status = 0;
			break;
		}
		if (now() > end) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, status, 0);
			timed_out = 1;
			break;
		}
		usleep(5000);
	}
	kill(-pid, SIGKILL);	/* leftovers the case forked */
	return timed_out;
}

/* Runs one case; returns 0 pass, 1 fail, 2 skip. */
static int run_case(struct tap_case *c, int n, int timeout)
{
	int status, timed_out;
	pid_t pid;

	memset(result, 0, sizeof(*result));
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		tap_log("fork: %s", strerror(errno));
		printf("not ok %d - %s.%s\n", n, c->fixture, c->name);
		return 1;
	}
	if (!pid)
		run_child(c);
	setpgid(pid, pid);
	timed_out = wait_case(pid, timeout, &status);

	if (timed_out)
		tap_log("%s.%s: timed out after %d s", c->fixture, c->name,
			timeout);
	else if (WIFSIGNALED(status))
		tap_log("%s.%s: killed by signal %d (%s)", c->fixture,
			c->name, WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (!result->done)
		tap_log("%s.%s: exited early with status %d", c->fixture,
			c->name, WEXITSTATUS(status));

	if (timed_out || !result->done || result->failed) {
		printf("not ok %d - %s.%s\n", n, c->fixture, c->name);
		return 1;
	}
	if (result->skipped) {
		printf("ok %d - %s.%s # SKIP %s\n", n, c->fixture, c->name,
		       result->reason);
		return 2;
	}
	printf("ok %d - %s.%s\n", n, c->fixture, c->name);
	return 0;
}

static int selected(struct tap_case *c, int argc, char **argv)
{
	char full[256];
	int i;

	if (argc < 2)
		return 1;
	snprintf(full, sizeof(full), "%s.%s", c->fixture, c->name);
	for (i = 1; i < argc; i++)
		if (strstr(full, argv[i]))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	int count[3] = { 0 }, total = 0, n = 0, timeout = 60;
	struct tap_case *c;

	if (getenv("TAP_TIMEOUT"))
		timeout = atoi(getenv("TAP_TIMEOUT"));
	setvbuf(stdout, NULL, _IOLBF, 0);
	result = mmap(NULL, sizeof(*result), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (result == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (c = cases; c; c = c->next)
		total += selected(c, argc, argv);
	printf("1..%d\n", total);
	for (c = cases; c; c = c->next)
		if (selected(c, argc, argv))
			count[run_case(c, ++n, timeout)]++;
	if (count[2])
		printf("%d passed, %d failed, %d skipped\n",
		       count[0], count[1], count[2]);
	else
		printf("%d passed, %d failed\n", count[0], count[1]);
	return count[1] ? 1 : 0;
}
