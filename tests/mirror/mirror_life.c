// SPDX-License-Identifier: GPL-2.0
/*
 * mirror_life.c - processes that exit or are killed with live mirrors, then
 * unloading and reloading the modules.  Runs last: it reloads the modules.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "mirror.h"

#define MOD_DIR		"kernel/ib_odp_hmm"
#define MAX_MODS	8
#define CHILD_MIRRORS	3	/* mirrors the child creates */
#define CHILD_FDS	4	/* ... on this many fds */

FIXTURE(life) {
	int pfd[2];	/* child -> parent: ready */
	int gfd[2];	/* parent -> child: go (exit) */
};

FIXTURE_SETUP(life)
{
	close(open_dev());
	ASSERT_EQ(0, pipe(self->pfd));
	ASSERT_EQ(0, pipe(self->gfd));
}

FIXTURE_TEARDOWN(life)
{
}

struct child_ctx {
	int fd[CHILD_FDS];
	char *buf;		/* 16 pages */
	int ready, go;
	int loop;		/* write until killed instead of exiting */
};

/* fd0: explicit, fd1: implicit, fd2: explicit at +1 GiB, fd3: no mirror */
static int child_mirrors(struct child_ctx *c)
{
	const size_t half = 8 * PAGE_SZ;
	uint64_t va = u64_of(c->buf);
	char out[PAGE_SZ];

	for (int i = 0; i < CHILD_FDS; i++) {
		c->fd[i] = odpt_open();
		if (c->fd[i] < 0)
			return 10 + i;
	}
	fill(c->buf, 2 * half, 100);
	if (odpt_create(c->fd[0], va, half, va, 0) ||
	    odpt_create_implicit(c->fd[1]) ||
	    odpt_create(c->fd[2], va + half, half, va + half + GIB, 0))
		return 20;
	if (odpt_read(c->fd[0], va, out, sizeof(out), W4K) ||
	    odpt_write(c->fd[1], va + half, out, sizeof(out), W4K) ||
	    odpt_read(c->fd[2], va + half + GIB, out, sizeof(out), 8 * PAGE_SZ))
		return 21;
	return 0;
}

static void *child_writer(void *arg)
{
	struct child_ctx *c = arg;
	uint64_t va = u64_of(c->buf);
	char page[PAGE_SZ] = { 1 };

	for (;;) {
		odpt_write(c->fd[0], va, page, sizeof(page), W4K);
		odpt_write(c->fd[1], va + 9 * PAGE_SZ, page, sizeof(page), W4K);
	}
	return NULL;
}

/* Child: mirrors on several fds, then exits or loops until SIGKILL. */
static int child_fn(void *arg)
{
	struct child_ctx *c = arg;
	pthread_t t[2];
	int ret = child_mirrors(c);
	char x = 0;

	if (ret)
		return ret;
	if (c->loop) {
		for (int i = 0; i < 2; i++)
			if (pthread_create(&t[i], NULL, child_writer, c))
				return 30;
		if (write(c->ready, "r", 1) != 1)
			return 31;
		for (;;)	/* invalidations under the writers' feet */
			madvise(c->buf, 16 * PAGE_SZ, MADV_DONTNEED);
	}
	if (write(c->ready, "r", 1) != 1 || read(c->go, &x, 1) != 1)
		return 32;
	return 0;		/* _exit without closing or destroying */
}

/* live_mirrors back at want within 5 s (releases may be deferred). */
static long long wait_live(long long want)
{
	long long live = -1;

	for (int i = 0; i < 500; i++) {
		live = odpt_live_mirrors();
		if (live == want)
			break;
		usleep(10000);
	}
	return live;
}

/*
 * Modules in load order from modules.order, as paths below MOD_DIR without
 * suffix ("core/odp_hmm"); 0 if none.  A line is the module's build path,
 * absolute in 6.1 (".../kernel/ib_odp_hmm/core/odp_hmm.ko") and relative
 * later ("core/odp_hmm.o"); modules live one directory down.
 */
static int module_names(char names[][64])
{
	FILE *f = fopen(MOD_DIR "/modules.order", "r");
	char line[512], *base, *dot, *sub;
	int n = 0;

	if (!f)
		return 0;
	while (n < MAX_MODS && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = 0;
		base = strrchr(line, '/');
		if (!base) {
			base = line;
			sub = NULL;
		} else {
			*base++ = 0;
			sub = strrchr(line, '/') ? strrchr(line, '/') + 1 : line;
		}
		dot = strrchr(base, '.');
		if (dot)
			*dot = 0;
		if (!*base)
			continue;
		snprintf(names[n++], 64, "%.20s%s%.40s", sub ? sub : "",
			 sub ? "/" : "", base);
	}
	fclose(f);
	return n;
}

/* "core/odp-x" -> "odp_x": the name the kernel knows the module by. */
static void kname(char *dst, const char *file)
{
	const char *base = strrchr(file, '/');

	snprintf(dst, 64, "%s", base ? base + 1 : file);
	for (char *p = dst; *p; p++)
		if (*p == '-')
			*p = '_';
}

static int mod_loaded(const char *file)
{
	char path[128], name[64];
	struct stat st;

	kname(name, file);
	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return !stat(path, &st);
}

static int rm_module(const char *file)
{
	char name[64];

	kname(name, file);
	for (int i = 0; i < 500; i++) {
		if (!syscall(SYS_delete_module, name, O_NONBLOCK))
			return 0;
		if (errno != EAGAIN && errno != EBUSY)
			break;
		usleep(10000);
	}
	return -errno;
}

static int ins_module(const char *file)
{
	char path[128];
	int fd, ret;

	snprintf(path, sizeof(path), MOD_DIR "/%s.ko", file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return ret;
}

/* rmmod every loaded module of modules.order, insmod them back. */
static void unload_reload(void)
{
	char mods[MAX_MODS][64], out[64], *buf;
	int n = module_names(mods), loaded[MAX_MODS], i, fd, ret;
	struct stat st;

	if (geteuid())
		SKIP("module unload needs root");
	if (!n || !mod_loaded("odph_test"))
		SKIP("not in the VM: no %s/modules.order or odph_test not loaded",
		     MOD_DIR);
	for (i = 0; i < n; i++)
		loaded[i] = mod_loaded(mods[i]);
	for (i = n - 1; i >= 0; i--) {
		if (!loaded[i])
			continue;
		TAP_LOG("rmmod %s", mods[i]);
		ret = rm_module(mods[i]);
		ASSERT_MSG(!ret, "rmmod %s: %s", mods[i], strerror(-ret));
	}
	for (i = 0; i < n; i++) {
		if (!loaded[i])
			continue;
		TAP_LOG("insmod %s", mods[i]);
		ret = ins_module(mods[i]);
		ASSERT_MSG(!ret, "insmod %s: %s", mods[i], strerror(-ret));
	}
	for (i = 0; i < 200 && stat(ODPT_DEV_PATH, &st); i++)
		usleep(10000);

	/* the reloaded modules work and start from no mirrors */
	fd = open_dev();
	ASSERT_EQ(0, odpt_live_mirrors());
	buf = map_anon(PAGE_SZ, 0, MADV_NOHUGEPAGE);
	fill(buf, PAGE_SZ, 101);
	mirror_at(fd, buf, PAGE_SZ);
	ASSERT_EQ(1, odpt_live_mirrors());
	ASSERT_EQ(0, odpt_read(fd, u64_of(buf), out, sizeof(out), W4K));
	ASSERT_MEM_EQ(buf, out, sizeof(out));
	close(fd);
}

/* Start the child and wait until its mirrors are live; returns its pid. */
static int start_child(struct _tap_fx_life *self, struct child_ctx *c,
		       long long before)
{
	char x;
	int pid;

	c->buf = map_anon(16 * PAGE_SZ, 0, MADV_NOHUGEPAGE);
	c->ready = self->pfd[1];
	c->go = self->gfd[0];
	pid = fork_fn(child_fn, c);
	close(self->pfd[1]);
	ASSERT_MSG(read(self->pfd[0], &x, 1) == 1, "child failed early: %d",
		   wait_child(pid));
	ASSERT_EQ(before + CHILD_MIRRORS, odpt_live_mirrors());
	return pid;
}

/* A process exiting with live mirrors frees them; the modules then unload. */
TEST_F(life, exit_with_live_mirrors_then_unload)
{
	long long before = odpt_live_mirrors();
	struct child_ctx c = { .loop = 0 };
	int pid;

	ASSERT_LE(0, before);
	pid = start_child(self, &c, before);
	ASSERT_EQ(1, write(self->gfd[1], "g", 1));
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(before, wait_live(before));
	unload_reload();
}

/* A process killed during device writes frees its mirrors; modules unload. */
TEST_F(life, sigkill_during_writes_then_unload)
{
	long long before = odpt_live_mirrors();
	struct child_ctx c = { .loop = 1 };
	int pid;

	ASSERT_LE(0, before);
	pid = start_child(self, &c, before);
	usleep(300000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(128 + SIGKILL, wait_child(pid));
	ASSERT_EQ(before, wait_live(before));
	unload_reload();
}
