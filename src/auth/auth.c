/* auth.c - password hashing (libxcrypt) and the verified-credentials cache.
 *
 * The cache maps HMAC-SHA256(per-process random key, user "\0" password) to a
 * monotonic expiry time, so neither passwords nor fast-to-test digests of them
 * are kept in memory. Only successful checks are cached; the table is bounded.
 */
#include "auth/auth.h"

#include <crypt.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "util/error.h"

#define MAC_LEN 32
#define CACHE_MAX 4096

struct SlAuth {
  SlStore *store;
  gint64 ttl_us;
  guchar key[MAC_LEN];
  GMutex lock;
  GHashTable *cache; /* guchar[MAC_LEN] -> gint64* expiry (monotonic us) */
};

/* ---- hashing ---------------------------------------------------------- */

/* crypt_r into a heap crypt_data (it is ~32 KiB); NULL on failure. */
static char *
crypt_dup(const char *password, const char *setting)
{
  struct crypt_data *data = g_new0(struct crypt_data, 1);
  char *out = NULL;
  const char *r = crypt_r(password, setting, data);
  if (r && r[0] && r[0] != '*')
    out = g_strdup(r);
  explicit_bzero(data, sizeof *data);
  g_free(data);
  return out;
}

char *
sl_auth_hash_password(const char *password, GError **error)
{
  if (!password) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "no password given");
    return NULL;
  }
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (!crypt_gensalt_rn("$y$", 0, NULL, 0, setting, sizeof setting)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "crypt_gensalt failed: %s", g_strerror(errno));
    return NULL;
  }
  char *hash = crypt_dup(password, setting);
  if (!hash)
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "crypt failed: %s", g_strerror(errno));
  return hash;
}

static gboolean
has_accepted_prefix(const char *s)
{
  static const char *const prefixes[] = {"$y$", "$6$", "$5$", "$2b$", "$2a$", "$2y$"};
  for (gsize i = 0; i < G_N_ELEMENTS(prefixes); i++)
    if (g_str_has_prefix(s, prefixes[i]))
      return TRUE;
  return FALSE;
}

gboolean
sl_auth_hash_is_valid(const char *stored)
{
  if (!stored || !has_accepted_prefix(stored) || strlen(stored) > 512)
    return FALSE;
  for (const char *p = stored; *p; p++)
    if (!g_ascii_isalnum(*p) && !strchr("./$=", *p))
      return FALSE;
  /* Hashing anything with it as setting must give a string of the same shape:
   * same settings (up to the last '$') and same length, i.e. a complete hash. */
  g_autofree char *probe = crypt_dup("", stored);
  if (!probe || strlen(probe) != strlen(stored))
    return FALSE;
  const char *last = strrchr(stored, '$');
  gsize setting_len = (gsize)(last - stored);
  return strncmp(probe, stored, setting_len) == 0;
}

gboolean
sl_auth_check_password(const char *password, const char *stored)
{
  if (!password || !stored || !has_accepted_prefix(stored))
    return FALSE;
  g_autofree char *computed = crypt_dup(password, stored);
  if (!computed)
    return FALSE;
  gsize n = strlen(stored);
  return strlen(computed) == n && CRYPTO_memcmp(computed, stored, n) == 0;
}

/* A real hash to check against when the user does not exist, so that an
 * unknown name costs the same time as a wrong password. */
static const char *
dummy_hash(void)
{
  static gsize once = 0;
  static char *hash = NULL;
  if (g_once_init_enter(&once)) {
    hash = sl_auth_hash_password("stratuslab-no-such-user", NULL);
    g_once_init_leave(&once, 1);
  }
  return hash;
}

/* ---- cache ------------------------------------------------------------ */

static guint
mac_hash(gconstpointer k)
{
  guint h;
  memcpy(&h, k, sizeof h);
  return h;
}

static gboolean
mac_equal(gconstpointer a, gconstpointer b)
{
  return memcmp(a, b, MAC_LEN) == 0;
}

SlAuth *
sl_auth_new(SlStore *store, guint cache_seconds)
{
  SlAuth *auth = g_new0(SlAuth, 1);
  auth->store = store;
  auth->ttl_us = (gint64)cache_seconds * G_USEC_PER_SEC;
  if (RAND_bytes(auth->key, sizeof auth->key) != 1) {
    /* The key only has to be unpredictable; GLib's generator is a fallback. */
    for (gsize i = 0; i < sizeof auth->key; i++)
      auth->key[i] = (guchar)g_random_int();
  }
  g_mutex_init(&auth->lock);
  auth->cache = g_hash_table_new_full(mac_hash, mac_equal, g_free, g_free);
  return auth;
}

void
sl_auth_free(SlAuth *auth)
{
  if (!auth)
    return;
  g_hash_table_destroy(auth->cache);
  g_mutex_clear(&auth->lock);
  explicit_bzero(auth->key, sizeof auth->key);
  g_free(auth);
}

static void
credential_mac(SlAuth *auth, const char *user, const char *password, guchar out[MAC_LEN])
{
  gsize ul = strlen(user), pl = strlen(password);
  gsize len = ul + 1 + pl;
  guchar *msg = g_malloc(len);
  memcpy(msg, user, ul + 1);
  memcpy(msg + ul + 1, password, pl);
  unsigned int out_len = MAC_LEN;
  if (!HMAC(EVP_sha256(), auth->key, sizeof auth->key, msg, len, out, &out_len))
    memset(out, 0, MAC_LEN); /* never matches a stored entry except another failure */
  explicit_bzero(msg, len);
  g_free(msg);
}

static gboolean
purge_expired(gpointer key, gpointer value, gpointer now)
{
  (void)key;
  return *(gint64 *)value <= *(gint64 *)now;
}

static gboolean
cache_lookup(SlAuth *auth, const guchar mac[MAC_LEN])
{
  gint64 now = g_get_monotonic_time();
  gboolean hit = FALSE;
  g_mutex_lock(&auth->lock);
  gint64 *expiry = g_hash_table_lookup(auth->cache, mac);
  if (expiry) {
    if (*expiry > now)
      hit = TRUE;
    else
      g_hash_table_remove(auth->cache, mac);
  }
  g_mutex_unlock(&auth->lock);
  return hit;
}

static void
cache_store(SlAuth *auth, const guchar mac[MAC_LEN])
{
  gint64 now = g_get_monotonic_time();
  g_mutex_lock(&auth->lock);
  if (g_hash_table_size(auth->cache) >= CACHE_MAX) {
    g_hash_table_foreach_remove(auth->cache, purge_expired, &now);
    if (g_hash_table_size(auth->cache) >= CACHE_MAX)
      g_hash_table_remove_all(auth->cache);
  }
  gint64 *expiry = g_new(gint64, 1);
  *expiry = now + auth->ttl_us;
  g_hash_table_replace(auth->cache, g_memdup2(mac, MAC_LEN), expiry);
  g_mutex_unlock(&auth->lock);
}

gboolean
sl_auth_verify(SlAuth *auth, const char *user, const char *password)
{
  if (!auth || !user || !password || !user[0])
    return FALSE;
  guchar mac[MAC_LEN];
  gboolean caching = auth->ttl_us > 0;
  if (caching) {
    credential_mac(auth, user, password, mac);
    if (cache_lookup(auth, mac))
      return TRUE;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(SlUser) u = sl_store_user_get(auth->store, user, &error);
  if (!u) {
    if (!g_error_matches(error, SL_ERROR, SL_ERROR_NOT_FOUND))
      g_warning("auth: cannot look up user %s: %s", user, error->message);
    const char *dummy = dummy_hash();
    if (dummy)
      sl_auth_check_password(password, dummy);
    return FALSE;
  }
  if (!sl_auth_check_password(password, u->hash))
    return FALSE;
  if (caching)
    cache_store(auth, mac);
  return TRUE;
}
