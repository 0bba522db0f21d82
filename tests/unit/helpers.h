/* helpers.h - scaffolding shared by the cmocka unit tests: temporary data
 * directories, main-loop spinning, shared fixtures. Include after <cmocka.h>. */
#pragma once

#include <glib.h>

/* A new temporary directory from template (e.g. "test-x-XXXXXX"); asserts. */
char *th_tmpdir_new(const char *tmpl);

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

/* The path of $SL_SHARED/fixtures/stratuslab/<rel> (SL_SHARED defaults to
 * ../shared); fails the test when it does not exist. */
char *th_fixture(const char *rel);

/* The contents of th_fixture(rel), *len its length; fails the test when
 * unreadable. */
char *th_read_fixture(const char *rel, gsize *len);
