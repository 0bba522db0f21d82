/* auth.h - users' passwords: hashing and verification.
 *
 * Stored form is a crypt(3) string (yescrypt "$y$" from crypt_gensalt).
 * Verification is slow by design, so SlAuth caches successful checks in
 * memory under an HMAC-SHA256 of "user\0password" with a per-process random
 * key, for a short time (default 60 s); a changed hash in the store is seen at
 * the next expiry. Thread-safe.
 */
#pragma once
#include <glib.h>

#include "store/store.h"

/* New crypt(3) hash of password (yescrypt). */
char *sl_auth_hash_password(const char *password, GError **error);
/* Is `stored` a hash form we accept (yescrypt, sha512-crypt, sha256-crypt, bcrypt)? */
gboolean sl_auth_hash_is_valid(const char *stored);
gboolean sl_auth_check_password(const char *password, const char *stored);

typedef struct SlAuth SlAuth;

#define SL_AUTH_CACHE_SECONDS 60 /* the default to pass as cache_seconds */

/* store is borrowed (must outlive auth). cache_seconds == 0 disables the cache. */
SlAuth *sl_auth_new(SlStore *store, guint cache_seconds);
void sl_auth_free(SlAuth *auth);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlAuth, sl_auth_free)

/* TRUE if user exists and password matches. Never says which part was wrong. */
gboolean sl_auth_verify(SlAuth *auth, const char *user, const char *password);
