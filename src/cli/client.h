/* client.h - HTTPS/JSON client of the StratusLab services (libcurl).
 *
 * The server certificate is always verified (--ca-certificate, else the
 * system store). Errors are SL_CLI_ERROR/SL_EXIT_FAILED with the text to
 * print after "  [ERROR] ": "Service error: <server message>" or
 * "Network error: <detail>".
 */
#pragma once
#include <jansson.h>

#include "cli.h"

typedef struct SlClient SlClient;

/* A client of the persistent disk service: --pdisk-endpoint (else the cloud
 * endpoint), --pdisk-username/--pdisk-password (else the cloud ones). */
SlClient *sl_client_new_pdisk(SlCli *cli, GError **error);
/* A client of the cloud entry point: --endpoint (required), -u/-p. */
SlClient *sl_client_new_cloud(SlCli *cli, GError **error);
void sl_client_free(SlClient *client);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlClient, sl_client_free)

const char *sl_client_base_url(SlClient *client);

/* `form` is a NULL-terminated list of name, value pairs sent as
 * application/x-www-form-urlencoded (NULL: no body). Returns the parsed JSON
 * answer of a 2xx reply (json null for an empty body). */
json_t *sl_client_call(SlClient *client, const char *method, const char *path,
                       const char *const *form, GError **error);

/* Same with a JSON body (NULL: none). *http_status (if not NULL) gets the
 * HTTP status (0 when there was no answer). */
json_t *sl_client_call_json(SlClient *client, const char *method, const char *path, json_t *body,
                            long *http_status, GError **error);

/* Read one line from the terminal (no echo unless `echo`), or from stdin
 * when it is not a terminal. The prompt goes to stderr. NULL at end of input. */
char *sl_prompt(const char *prompt, gboolean echo);
