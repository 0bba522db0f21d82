/* error.h - the one GError domain of the project.
 *
 * Error codes ARE the HTTP status a REST client sees for that failure, so
 * every layer can raise them and the http layer maps them without a table.
 */
#pragma once
#include <glib.h>

#define SL_ERROR (sl_error_quark())
GQuark sl_error_quark(void);

typedef enum {
  SL_ERROR_INVALID = 400,      /* bad input from the caller */
  SL_ERROR_UNAUTHORIZED = 401, /* no or wrong credentials */
  SL_ERROR_FORBIDDEN = 403,    /* authenticated but not allowed */
  SL_ERROR_NOT_FOUND = 404,    /* absent, or invisible to the caller */
  SL_ERROR_CONFLICT = 409,     /* state forbids it (in use, duplicate) */
  SL_ERROR_INTERNAL = 500,     /* our fault: I/O, database */
  SL_ERROR_UNAVAILABLE = 503,  /* a dependency is down */
} SlErrorCode;
