/* status.h - the one table from SlErrorCode (util/error.h) to HTTP statuses.
 *
 * SL_ERROR codes map to 400 invalid, 401 unauthorized, 403 forbidden,
 * 404 not found, 406 not acceptable, 409 conflict, 413 too large,
 * 415 unsupported, 500 internal, 503 unavailable, 507 no space; any other
 * error (another domain, an unknown code, none) is 500.
 */
#pragma once
#include <glib.h>

guint sl_http_status_for_error(const GError *error);
