/* init.c - the one initialisation of the libraries src/market uses: libxml2,
 * OpenSSL providers, xmlsec1, and the per-thread record of xmlsec's errors. */
#include "market/init.h"

#include <libxml/parser.h>
#include <openssl/provider.h>
#include <stdlib.h>
#include <xmlsec/base64.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmlsec.h>

/* The last xmlsec error of this thread, for "invalid signature element: ...". */
static GPrivate last_error = G_PRIVATE_INIT(g_free);

static void
record_error(const char *file, int line, const char *func, const char *object, const char *subject,
             int reason, const char *msg)
{
  (void)file;
  (void)line;
  (void)func;
  (void)object;
  const char *reason_msg = NULL;
  for (xmlSecSize i = 0; i < XMLSEC_ERRORS_MAX_NUMBER; i++) {
    if (xmlSecErrorsGetMsg(i) == NULL)
      break;
    if (xmlSecErrorsGetCode(i) == reason) {
      reason_msg = xmlSecErrorsGetMsg(i);
      break;
    }
  }
  if (g_private_get(&last_error) != NULL)
    return; /* keep the first (innermost) error of the operation */
  g_private_replace(&last_error,
                    g_strdup_printf("%s%s%s%s%s", subject ? subject : "", subject ? ": " : "",
                                    reason_msg ? reason_msg : "error", msg && *msg ? ": " : "",
                                    msg ? msg : ""));
}

/* Kept loaded for the lifetime of the process. */
static OSSL_PROVIDER *providers[2];

/* Registered after OpenSSL's own exit handler, so it runs before it: drops
 * our references so that OPENSSL_cleanup frees the providers. */
static void
unload_providers(void)
{
  for (gsize i = 0; i < G_N_ELEMENTS(providers); i++)
    if (providers[i] != NULL)
      OSSL_PROVIDER_unload(providers[i]);
}

static gpointer
init_once(gpointer unused)
{
  (void)unused;
  xmlInitParser();
  /* RC2-40 PKCS#12 files need the legacy provider; loading it disables the
   * implicit default provider, so load that one explicitly too. */
  providers[0] = OSSL_PROVIDER_load(NULL, "legacy");
  providers[1] = OSSL_PROVIDER_load(NULL, "default");
  atexit(unload_providers);
  if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1 || xmlSecCryptoAppInit(NULL) < 0 ||
      xmlSecCryptoInit() < 0)
    g_error("xmlsec initialisation failed");
  xmlSecErrorsSetCallback(record_error); /* after xmlSecInit, which resets it */
  xmlSecBase64SetDefaultLineSize(76);    /* as Java's XML-DSig */
  return NULL;
}

void
sl_market_init(void)
{
  static GOnce once = G_ONCE_INIT;
  g_once(&once, init_once, NULL);
}

char *
sl_market_take_xmlsec_error(void)
{
  const char *e = g_private_get(&last_error);
  char *out = g_strdup(e ? e : "malformed Signature");
  g_private_replace(&last_error, NULL);
  return out;
}

void
sl_market_clear_xmlsec_error(void)
{
  g_private_replace(&last_error, NULL);
}
