/* session.c - the in-memory session table of the portal: digest of the
 * identifier -> user, CSRF token, last use. Owns the table and its mutex. */
#include "http/session.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

typedef struct {
  char *id;
  char *user;
  char *csrf;
  gint64 last_used; /* seconds */
} Entry;

struct SlHttpSessions {
  GMutex lock;
  GHashTable *table; /* sha256 hex of id -> Entry* */
  guint idle;
  guint max;
  gint64 (*now)(void);
};

static gint64
real_now(void)
{
  return g_get_monotonic_time() / G_USEC_PER_SEC;
}

static void
entry_free(gpointer p)
{
  Entry *e = p;
  if (!e)
    return;
  g_free(e->id);
  g_free(e->user);
  g_free(e->csrf);
  g_free(e);
}

void
sl_http_session_free(SlHttpSession *s)
{
  if (!s)
    return;
  g_free(s->id);
  g_free(s->user);
  g_free(s->csrf);
  g_free(s);
}

SlHttpSessions *
sl_http_sessions_new(guint idle_seconds, guint max)
{
  SlHttpSessions *s = g_new0(SlHttpSessions, 1);
  g_mutex_init(&s->lock);
  s->table = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, entry_free);
  s->idle = idle_seconds ? idle_seconds : SL_HTTP_SESSION_IDLE_DEFAULT;
  s->max = max ? max : SL_HTTP_SESSION_MAX_DEFAULT;
  s->now = real_now;
  return s;
}

void
sl_http_sessions_free(SlHttpSessions *sessions)
{
  if (!sessions)
    return;
  g_hash_table_unref(sessions->table);
  g_mutex_clear(&sessions->lock);
  g_free(sessions);
}

void
sl_http_sessions_set_clock(SlHttpSessions *sessions, gint64 (*now)(void))
{
  sessions->now = now ? now : real_now;
}

/* 32 random bytes, base64url without padding. */
static char *
random_token(void)
{
  guchar buf[32];
  if (RAND_bytes(buf, sizeof buf) != 1)
    g_error("session: no random bytes from OpenSSL");
  char *t = g_base64_encode(buf, sizeof buf);
  OPENSSL_cleanse(buf, sizeof buf);
  for (char *p = t; *p; p++) {
    if (*p == '+')
      *p = '-';
    else if (*p == '/')
      *p = '_';
    else if (*p == '=')
      *p = '\0';
  }
  return t;
}

static char *
digest(const char *id)
{
  return g_compute_checksum_for_string(G_CHECKSUM_SHA256, id, -1);
}

static SlHttpSession *
copy(const Entry *e)
{
  SlHttpSession *s = g_new0(SlHttpSession, 1);
  s->id = g_strdup(e->id);
  s->user = g_strdup(e->user);
  s->csrf = g_strdup(e->csrf);
  return s;
}

static gboolean
expired(gpointer key, gpointer value, gpointer data)
{
  (void)key;
  const SlHttpSessions *s = data;
  const Entry *e = value;
  return s->now() - e->last_used >= (gint64)s->idle;
}

/* Called with the lock held: room for one more. */
static void
make_room(SlHttpSessions *s)
{
  if (g_hash_table_size(s->table) < s->max)
    return;
  g_hash_table_foreach_remove(s->table, expired, s);
  /* anonymous sessions go first: a flood of form views must not log users out */
  while (g_hash_table_size(s->table) >= s->max) {
    GHashTableIter it;
    gpointer k, v, oldest_key = NULL;
    gint64 oldest = G_MAXINT64;
    gboolean anon = FALSE;
    g_hash_table_iter_init(&it, s->table);
    while (g_hash_table_iter_next(&it, &k, &v)) {
      const Entry *e = v;
      gboolean a = e->user == NULL;
      if ((a && !anon) || (a == anon && e->last_used < oldest)) {
        oldest = e->last_used;
        oldest_key = k;
        anon = a;
      }
    }
    if (!oldest_key)
      break;
    g_hash_table_remove(s->table, oldest_key);
  }
}

SlHttpSession *
sl_http_sessions_create(SlHttpSessions *sessions, const char *user)
{
  Entry *e = g_new0(Entry, 1);
  e->id = random_token();
  e->user = g_strdup(user);
  e->csrf = random_token();
  SlHttpSession *out = copy(e);
  g_mutex_lock(&sessions->lock);
  e->last_used = sessions->now();
  make_room(sessions);
  g_hash_table_replace(sessions->table, digest(e->id), e);
  g_mutex_unlock(&sessions->lock);
  return out;
}

SlHttpSession *
sl_http_sessions_lookup(SlHttpSessions *sessions, const char *id)
{
  if (!id || !*id || strlen(id) > 128)
    return NULL;
  g_autofree char *key = digest(id);
  SlHttpSession *out = NULL;
  g_mutex_lock(&sessions->lock);
  Entry *e = g_hash_table_lookup(sessions->table, key);
  if (e && expired(NULL, e, sessions)) {
    g_hash_table_remove(sessions->table, key);
    e = NULL;
  }
  if (e) {
    e->last_used = sessions->now();
    out = copy(e);
  }
  g_mutex_unlock(&sessions->lock);
  return out;
}

void
sl_http_sessions_end(SlHttpSessions *sessions, const char *id)
{
  if (!id)
    return;
  g_autofree char *key = digest(id);
  g_mutex_lock(&sessions->lock);
  g_hash_table_remove(sessions->table, key);
  g_mutex_unlock(&sessions->lock);
}

guint
sl_http_sessions_count(SlHttpSessions *sessions)
{
  g_mutex_lock(&sessions->lock);
  g_hash_table_foreach_remove(sessions->table, expired, sessions);
  guint n = g_hash_table_size(sessions->table);
  g_mutex_unlock(&sessions->lock);
  return n;
}

gboolean
sl_http_session_check_csrf(const SlHttpSession *s, const char *token)
{
  if (!s || !s->csrf || !token)
    return FALSE;
  gsize n = strlen(s->csrf);
  return strlen(token) == n && CRYPTO_memcmp(s->csrf, token, n) == 0;
}

char *
sl_http_cookie_get(const char *header, const char *name)
{
  if (!header || !name)
    return NULL;
  gsize nlen = strlen(name);
  g_auto(GStrv) parts = g_strsplit(header, ";", -1);
  for (char **p = parts; *p; p++) {
    const char *c = *p;
    while (*c == ' ' || *c == '\t')
      c++;
    if (!strncmp(c, name, nlen) && c[nlen] == '=') {
      char *v = g_strdup(c + nlen + 1);
      return g_strstrip(v);
    }
  }
  return NULL;
}

char *
sl_http_session_cookie(const char *id, gint max_age)
{
  g_autofree char *age = max_age >= 0 ? g_strdup_printf("; Max-Age=%d", max_age) : g_strdup("");
  return g_strdup_printf(SL_HTTP_SESSION_COOKIE "=%s; Path=/; HttpOnly; Secure; SameSite=Strict%s",
                         id ? id : "", age);
}
