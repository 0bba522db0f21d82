/* testpoint.h - named crash points for the system tests.
 *
 * sl_testpoint(NAME) does nothing unless the daemon runs with the environment
 * variable STRATUSD_TEST_CRASH_AT=NAME; then the process kills itself with
 * SIGKILL at that point (no clean-up, no atexit), as an operator's kill -9
 * landing exactly there would. Tests use it to place a crash inside a window
 * (e.g. between a database row and the matching QMP command) deterministically.
 */
#pragma once

void sl_testpoint(const char *name);
