#include "util/log.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *log_program = "stratus";
static gboolean log_debug;

static const char *
level_name(GLogLevelFlags level)
{
  if (level & G_LOG_LEVEL_ERROR)
    return "FATAL";
  if (level & G_LOG_LEVEL_CRITICAL)
    return "CRITICAL";
  if (level & G_LOG_LEVEL_WARNING)
    return "WARNING";
  if (level & G_LOG_LEVEL_MESSAGE)
    return "INFO";
  if (level & G_LOG_LEVEL_INFO)
    return "INFO";
  return "DEBUG";
}

static GLogWriterOutput
writer(GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  (void)user_data;
  if ((level & G_LOG_LEVEL_DEBUG) && !log_debug)
    return G_LOG_WRITER_HANDLED;
  const char *message = NULL;
  for (gsize i = 0; i < n_fields; i++)
    if (g_strcmp0(fields[i].key, "MESSAGE") == 0)
      message = fields[i].value;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  g_autofree char *stamp = g_date_time_format(now, "%FT%T.%fZ");
  /* %f gives microseconds; keep milliseconds */
  if (stamp && strlen(stamp) > 24) {
    stamp[23] = 'Z';
    stamp[24] = '\0';
  }
  fprintf(stderr, "%s %s[%d] %s %s\n", stamp, log_program, (int)getpid(), level_name(level),
          message ? message : "");
  return G_LOG_WRITER_HANDLED;
}

void
sl_log_init(const char *program)
{
  log_program = program;
  log_debug = g_strcmp0(g_getenv("SL_LOG_DEBUG"), "1") == 0;
  g_log_set_writer_func(writer, NULL, NULL);
}

void
sl_log_set_debug(gboolean on)
{
  log_debug = on;
}
