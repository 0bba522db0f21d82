/* helpers.h - scaffolding shared by the cmocka unit tests: temporary data
 * directories, main-loop spinning, shared fixtures. Include after <cmocka.h>. */
#pragma once

#include <glib.h>

/* A new temporary directory from template (e.g. "test-x-XXXXXX"); asserts.
 * With SL_TEST_PG set (tests/postgres/run-with), it holds a store.conf that
 * puts the store of this directory in a fresh PostgreSQL schema. */
char *th_tmpdir_new(const char *tmpl);

/* TRUE when the tests run against PostgreSQL (SL_TEST_PG). */
gboolean th_store_is_postgres(void);

/* Removes dir and everything below it; 0 on success. */
int th_rm_tree(const char *dir);

/* cmocka teardown for a *state that is a th_tmpdir_new() directory. */
int th_tmpdir_teardown(void **state);

/* Dispatches every pending main-loop source without blocking. */
void th_drain(void);

/* One non-blocking main-loop iteration; sleeps 1 ms when nothing was pending. */
void th_iterate(void);

/* Spins the main loop (th_iterate) for usec microseconds. */
void th_spin_for(gint64 usec);

/* $SL_SHARED/fixtures/stratuslab (SL_SHARED defaults to ../shared): the
 * StratusLab 13.05 files used by the interoperability checks only. */
char *th_fixtures_root(void);

/* Skips the test (cmocka skip(), reason printed) when th_fixtures_root() is absent. */
void th_need_fixtures(void);

/* The path of th_fixtures_root()/<rel>; skips the test when the fixtures are
 * absent, fails it when they are there but rel is not. */
char *th_fixture(const char *rel);

/* The path of the program name (PATH, then /usr/sbin); skips the test,
 * reason printed, when it is not installed. */
char *th_tool(const char *name);

/* The contents of th_fixture(rel), *len its length; fails the test when
 * unreadable. */
char *th_read_fixture(const char *rel, gsize *len);
