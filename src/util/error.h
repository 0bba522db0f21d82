/* error.h - the one GError domain of the project and its semantic codes.
 *
 * A code says what went wrong, not how a protocol reports it: the values are
 * not HTTP statuses. The REST edge maps them with one table
 * (http/status.h: sl_http_status_for_error); other front ends (the CLI, the
 * admin tool) print the message.
 */
#pragma once
#include <glib.h>

#define SL_ERROR (sl_error_quark())
GQuark sl_error_quark(void);

typedef enum {
  SL_ERROR_INTERNAL = 1,   /* our fault: I/O, database */
  SL_ERROR_INVALID,        /* bad input from the caller */
  SL_ERROR_UNAUTHORIZED,   /* no or wrong credentials */
  SL_ERROR_FORBIDDEN,      /* authenticated but not allowed */
  SL_ERROR_NOT_FOUND,      /* absent, or invisible to the caller */
  SL_ERROR_CONFLICT,       /* state forbids it (in use, duplicate) */
  SL_ERROR_TOO_LARGE,      /* input larger than accepted */
  SL_ERROR_UNSUPPORTED,    /* input of a type (media type, format) we do not take */
  SL_ERROR_NOT_ACCEPTABLE, /* no answer in a form the caller accepts */
  SL_ERROR_UNAVAILABLE,    /* a dependency is down */
  SL_ERROR_NO_SPACE,       /* the disk (or a quota of bytes) is full */
} SlErrorCode;
