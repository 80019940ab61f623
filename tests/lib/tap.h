/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tap.h - a small TAP test harness in the style of kselftest_harness.h.
 *
 *	FIXTURE(dev) { int fd; };
 *	FIXTURE_SETUP(dev) { self->fd = open(...); ASSERT_LE(0, self->fd); }
 *	FIXTURE_TEARDOWN(dev) { close(self->fd); }
 *
 *	// device read returns the CPU data
 *	TEST_F(dev, read) { ASSERT_EQ(0, do_read(self->fd)); }
 *
 * Every case runs in its own forked child (own process group) with a
 * timeout, so a crash or a hang fails only that case.  The setup runs first;
 * the teardown runs after the body if the setup completed, even when the
 * body failed an ASSERT or called SKIP.
 *
 * ASSERT_* ends the case at the first failure, EXPECT_* records it and goes
 * on.  Comparisons are done on __int128 so signed and unsigned 64-bit values
 * mix without surprises; pointers are not accepted (use ASSERT_TRUE).
 * Only the case's own thread may ASSERT; a process the case forks may
 * (a fatal failure there fails the case and exits that process).
 *
 * Output: "1..N", then "ok N - fixture.case", "not ok N - fixture.case"
 * after "# file:line: expected ... got ..." lines, or
 * "ok N - fixture.case # SKIP reason"; last line "P passed, F failed" (plus
 * ", S skipped" if any).  Exit status is 1 iff a case failed.
 *
 * Arguments: substrings; only cases whose "fixture.case" contains one run.
 * Environment: TAP_TIMEOUT=seconds per case (default 60).
 */
#ifndef TAP_H
#define TAP_H

#include <stddef.h>

struct tap_case {
	const char *fixture;
	const char *name;
	size_t self_size;
	/* phase: TAP_SETUP, TAP_BODY or TAP_TEARDOWN */
	void (*run)(void *self, int phase);
	struct tap_case *next;
};

enum { TAP_SETUP, TAP_BODY, TAP_TEARDOWN };

void tap_register(struct tap_case *c);
void tap_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tap_fail(const char *file, int line, int fatal, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void tap_cmp_fail(const char *file, int line, int fatal, const char *a,
		  const char *op, const char *b, __int128 va, __int128 vb);
void tap_mem_check(const char *file, int line, int fatal, const char *a,
		   const char *b, const void *pa, const void *pb, size_t len);
void tap_skip(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

#define _TAP_UNUSED __attribute__((unused))

#define FIXTURE(fx) struct _tap_fx_##fx

#define FIXTURE_SETUP(fx)						\
	static _TAP_UNUSED void _tap_setup_##fx(			\
		struct _tap_fx_##fx *self _TAP_UNUSED)

#define FIXTURE_TEARDOWN(fx)						\
	static _TAP_UNUSED void _tap_teardown_##fx(			\
		struct _tap_fx_##fx *self _TAP_UNUSED)

#define TEST_F(fx, tc)							\
	static void _tap_body_##fx##_##tc(struct _tap_fx_##fx *self);	\
	static void _tap_run_##fx##_##tc(void *self, int phase)		\
	{								\
		if (phase == TAP_SETUP)					\
			_tap_setup_##fx(self);				\
		else if (phase == TAP_BODY)				\
			_tap_body_##fx##_##tc(self);			\
		else							\
			_tap_teardown_##fx(self);			\
	}								\
	static struct tap_case _tap_case_##fx##_##tc = {		\
		.fixture = #fx,						\
		.name = #tc,						\
		.self_size = sizeof(struct _tap_fx_##fx),		\
		.run = _tap_run_##fx##_##tc,				\
	};								\
	__attribute__((constructor))					\
	static void _tap_reg_##fx##_##tc(void)				\
	{								\
		tap_register(&_tap_case_##fx##_##tc);			\
	}								\
	static void _tap_body_##fx##_##tc(				\
		struct _tap_fx_##fx *self _TAP_UNUSED)

#define _TAP_CMP(a, op, b, fatal) do {					\
	__int128 _tap_a = (__int128)(a), _tap_b = (__int128)(b);	\
	if (!(_tap_a op _tap_b))					\
		tap_cmp_fail(__FILE__, __LINE__, fatal, #a, #op, #b,	\
			     _tap_a, _tap_b);				\
} while (0)

/* kselftest argument order: ASSERT_EQ(expected, seen), ASSERT_LT(a, b): a < b */
#define ASSERT_EQ(exp, got)	_TAP_CMP(exp, ==, got, 1)
#define ASSERT_NE(exp, got)	_TAP_CMP(exp, !=, got, 1)
#define ASSERT_LT(a, b)		_TAP_CMP(a, <, b, 1)
#define ASSERT_LE(a, b)		_TAP_CMP(a, <=, b, 1)
#define ASSERT_GT(a, b)		_TAP_CMP(a, >, b, 1)
#define ASSERT_GE(a, b)		_TAP_CMP(a, >=, b, 1)
#define EXPECT_EQ(exp, got)	_TAP_CMP(exp, ==, got, 0)
#define EXPECT_NE(exp, got)	_TAP_CMP(exp, !=, got, 0)
#define EXPECT_LT(a, b)		_TAP_CMP(a, <, b, 0)
#define EXPECT_LE(a, b)		_TAP_CMP(a, <=, b, 0)
#define EXPECT_GT(a, b)		_TAP_CMP(a, >, b, 0)
#define EXPECT_GE(a, b)		_TAP_CMP(a, >=, b, 0)

#define _TAP_TRUE(c, fatal) do {					\
	if (!(c))							\
		tap_fail(__FILE__, __LINE__, fatal,			\
			 "expected true got false (%s)", #c);		\
} while (0)
#define ASSERT_TRUE(c)		_TAP_TRUE(c, 1)
#define EXPECT_TRUE(c)		_TAP_TRUE(c, 0)
#define ASSERT_FALSE(c)		_TAP_TRUE(!(c), 1)
#define EXPECT_FALSE(c)		_TAP_TRUE(!(c), 0)

/* Condition with a printf-style explanation when it does not hold. */
#define ASSERT_MSG(c, ...) do {						\
	if (!(c))							\
		tap_fail(__FILE__, __LINE__, 1, __VA_ARGS__);		\
} while (0)
#define EXPECT_MSG(c, ...) do {						\
	if (!(c))							\
		tap_fail(__FILE__, __LINE__, 0, __VA_ARGS__);		\
} while (0)

/* len bytes at a and b are equal; reports the first difference. */
#define ASSERT_MEM_EQ(a, b, len)					\
	tap_mem_check(__FILE__, __LINE__, 1, #a, #b, a, b, len)
#define EXPECT_MEM_EQ(a, b, len)					\
	tap_mem_check(__FILE__, __LINE__, 0, #a, #b, a, b, len)

/* End the case as skipped (the teardown still runs). */
#define SKIP(...)	tap_skip(__VA_ARGS__)

/* A "# ..." diagnostic line. */
#define TAP_LOG(...)	tap_log(__VA_ARGS__)

#endif /* TAP_H */
