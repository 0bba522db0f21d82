/* status.c - SlErrorCode -> HTTP status, (status.h). */
#include "http/status.h"

#include "util/error.h"

static const struct {
  SlErrorCode code;
  guint status;
} statuses[] = {
    {SL_ERROR_INVALID, 400},     {SL_ERROR_UNAUTHORIZED, 401},   {SL_ERROR_FORBIDDEN, 403},
    {SL_ERROR_NOT_FOUND, 404},   {SL_ERROR_NOT_ACCEPTABLE, 406}, {SL_ERROR_CONFLICT, 409},
    {SL_ERROR_TOO_LARGE, 413},   {SL_ERROR_UNSUPPORTED, 415},    {SL_ERROR_INTERNAL, 500},
    {SL_ERROR_UNAVAILABLE, 503}, {SL_ERROR_NO_SPACE, 507},
};

guint
sl_http_status_for_error(const GError *error)
{
  if (error && error->domain == SL_ERROR)
    for (gsize i = 0; i < G_N_ELEMENTS(statuses); i++)
      if ((int)statuses[i].code == error->code)
        return statuses[i].status;
  return 500;
}
