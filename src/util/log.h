/* log.h - logging to stderr, one line per event.
 *
 * Messages use GLib's g_message/g_warning/g_debug; sl_log_init() installs a
 * writer that prints "<ISO time> <level> <message>" and honours
 * SL_LOG_DEBUG=1 (or sl_log_set_debug) for debug lines.
 */
#pragma once
#include <glib.h>

void sl_log_init(const char *program);
void sl_log_set_debug(gboolean on);
