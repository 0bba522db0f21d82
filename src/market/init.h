/* init.h - the one initialisation of src/market's libraries.
 *
 * sl_market_init() initialises libxml2, OpenSSL (default + legacy providers;
 * the legacy one reads the RC2-40 PKCS#12 files of the era) and xmlsec once;
 * thread-safe; every function of src/market that needs them calls it first.
 * Nothing is ever shut down. xmlsec's errors are recorded per thread: clear
 * the record before an xmlsec operation, take its first error after one.
 */
#pragma once
#include <glib.h>

void sl_market_init(void);
void sl_market_clear_xmlsec_error(void);
/* The first xmlsec error since the last clear ("malformed Signature" when
 * none was recorded), newly allocated; clears the record. */
char *sl_market_take_xmlsec_error(void);
