/* fuzz.h - what every libFuzzer harness of tests/fuzz shares (docs/fuzzing.md).
 *
 * A harness defines LLVMFuzzerTestOneInput; FUZZ_QUIET() in its
 * LLVMFuzzerInitialize drops GLib's log output (warnings about bad input are
 * expected by the thousand) while criticals still abort, so that a
 * g_return_if_fail() reached from outside input counts as a crash.
 */
#pragma once
#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static inline GLogWriterOutput
fuzz_log_writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  (void)user_data;
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) {
    g_log_writer_standard_streams(level, fields, n_fields, NULL);
    abort();
  }
  return G_LOG_WRITER_HANDLED;
}

#define FUZZ_QUIET() g_log_set_writer_func(fuzz_log_writer, NULL, NULL)

/* The input as a NUL-terminated string (what the parser gets from a file or
 * argv, where an embedded NUL ends the text). */
static inline char *
fuzz_strdup(const uint8_t *data, size_t size)
{
  return g_strndup((const char *)data, size);
}

/* Splits off the first line of the input: returns it (newly allocated) and
 * moves *data / *size past its '\n'. */
static inline char *
fuzz_take_line(const uint8_t **data, size_t *size)
{
  const uint8_t *nl = memchr(*data, '\n', *size);
  size_t n = nl ? (size_t)(nl - *data) : *size;
  char *line = g_strndup((const char *)*data, n);
  *data += nl ? n + 1 : n;
  *size -= nl ? n + 1 : n;
  return line;
}
