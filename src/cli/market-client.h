/* market-client.h - raw HTTPS calls to the Marketplace (XML bodies, no auth)
 * for upload-metadata, deprecate-metadata and describe-images. */
#pragma once
#include <glib.h>

#include "cli.h"

/* Base URL of the Marketplace: --marketplace-endpoint, else the cloud
 * endpoint; no trailing slash. Error: "Missing Marketplace endpoint…". */
char *sl_market_base_url(SlCli *cli, GError **error);

/* One request (no authentication; the server certificate is verified with
 * --ca-certificate, else the system store). body may be NULL. Returns the
 * HTTP status (0 and an error "Network error: …" when there was no answer);
 * *answer gets the body. */
long sl_market_request(SlCli *cli, const char *method, const char *url, const char *accept,
                       const char *content_type, const char *body, gsize len, GString **answer,
                       GError **error);

/* The message of an error answer: the text of <error>, the "message" of a
 * JSON object, else "HTTP <status>: <first line>". */
char *sl_market_error_text(long status, const GString *answer);

/* POSTs a signed entry to <marketplace>/metadata and prints
 * <marketplace>/metadata/<id>/<email>/<created> (cmd-upload-metadata.c);
 * "  [ERROR] Failed to upload: <reason>" and SL_EXIT_FAILED otherwise. */
int sl_market_upload(SlCli *cli, const char *data, gsize len);
