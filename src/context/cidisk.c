/* cidisk.c - server side of the CloudInit method: derived context keys and
 * the _CLOUD_INIT VFAT disk (protocols.md §6; see cloudinit.h). */
#include "context/cloudinit.h"

#include <gio/gio.h>
#include <string.h>

#include "context/vfat.h"
#include "util/error.h"

/* Room left for meta.js once the directories and authorized_keys are in. */
#define MAX_USER_DATA (SL_CLOUDINIT_DISK_SIZE - 64 * 1024)

gboolean
sl_cloudinit_enabled(const SlContext *ctx)
{
  const char *m = sl_context_get(ctx, "CONTEXT_METHOD");
  return m != NULL && g_str_equal(m, SL_CLOUDINIT_METHOD);
}

/* base64 text (blanks and newlines allowed) -> bytes; strict alphabet. */
static GBytes *
b64_decode(const char *key, const char *text, GError **error)
{
  GString *clean = g_string_new(NULL);
  for (const char *p = text; *p; p++) {
    if (g_ascii_isspace(*p))
      continue;
    if (!g_ascii_isalnum(*p) && *p != '+' && *p != '/' && *p != '=') {
      g_string_free(clean, TRUE);
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "context %s is not base64", key);
      return NULL;
    }
    g_string_append_c(clean, *p);
  }
  if (clean->len % 4 != 0) {
    g_string_free(clean, TRUE);
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "context %s is not base64", key);
    return NULL;
  }
  gsize len = 0;
  guchar *data = g_base64_decode(clean->str, &len);
  g_string_free(clean, TRUE);
  return g_bytes_new_take(data, len);
}

/* The decoded user data (gunzip'd when gzip'd) as a NUL-terminated UTF-8
 * string, or NULL with *error unset when there is none. */
static gchar *
user_data(const SlContext *ctx, GError **error)
{
  const char *v = sl_context_get(ctx, "CLOUD_INIT_USER_DATA");
  if (v == NULL || v[strspn(v, " \t\r\n")] == '\0')
    return NULL;
  g_autoptr(GBytes) raw = b64_decode("CLOUD_INIT_USER_DATA", v, error);
  if (raw == NULL)
    return NULL;
  gsize len = 0;
  const guint8 *p = g_bytes_get_data(raw, &len);
  g_autoptr(GBytes) text = NULL;
  if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
    text = sl_gunzip(p, len, MAX_USER_DATA, error);
    if (text == NULL) {
      g_prefix_error(error, "context CLOUD_INIT_USER_DATA: ");
      return NULL;
    }
  } else {
    text = g_bytes_ref(raw);
  }
  p = g_bytes_get_data(text, &len);
  if (len > MAX_USER_DATA || (len > 0 && memchr(p, '\0', len) != NULL) ||
      !g_utf8_validate_len((const char *)p, len, NULL)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                len > MAX_USER_DATA
                    ? "context CLOUD_INIT_USER_DATA: user data is too large for the disk"
                    : "context CLOUD_INIT_USER_DATA: user data is not text (UTF-8)");
    return NULL;
  }
  return g_strndup((const char *)p, len);
}

static gchar *
authorized_keys(const SlContext *ctx, GError **error)
{
  const char *v = sl_context_get(ctx, "CLOUD_INIT_AUTHORIZED_KEYS");
  if (v == NULL || v[strspn(v, " \t\r\n")] == '\0')
    return g_strdup("");
  g_autoptr(GBytes) raw = b64_decode("CLOUD_INIT_AUTHORIZED_KEYS", v, error);
  if (raw == NULL)
    return NULL;
  gsize len = 0;
  const char *p = g_bytes_get_data(raw, &len);
  if ((len > 0 && memchr(p, '\0', len) != NULL) || !g_utf8_validate_len(p, len, NULL) ||
      len > 64 * 1024) {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID,
                        "context CLOUD_INIT_AUTHORIZED_KEYS: keys are not text (or too long)");
    return NULL;
  }
  return g_strndup(p, len);
}

gboolean
sl_cloudinit_check(const SlContext *ctx, GError **error)
{
  if (!sl_cloudinit_enabled(ctx))
    return TRUE;
  GError *local = NULL;
  g_autofree gchar *ud = user_data(ctx, &local);
  if (local != NULL) {
    g_propagate_error(error, local);
    return FALSE;
  }
  g_autofree gchar *keys = authorized_keys(ctx, error);
  return keys != NULL;
}

gchar *
sl_cloudinit_meta_js(const char *ud)
{
  /* "user-data" first, as the original's json.dumps of a two-key dict. */
  GString *s = g_string_new("{");
  if (ud != NULL) {
    g_string_append(s, "\"user-data\": \"");
    for (const guchar *p = (const guchar *)ud; *p; p++) {
      switch (*p) {
      case '"':
        g_string_append(s, "\\\"");
        break;
      case '\\':
        g_string_append(s, "\\\\");
        break;
      case '\n':
        g_string_append(s, "\\n");
        break;
      case '\r':
        g_string_append(s, "\\r");
        break;
      case '\t':
        g_string_append(s, "\\t");
        break;
      default:
        if (*p < 0x20 || *p == 0x7f)
          g_string_append_printf(s, "\\u%04x", *p);
        else
          g_string_append_c(s, (char)*p); /* UTF-8 as is */
      }
    }
    g_string_append(s, "\", ");
  }
  g_string_append(s, "\"dsmode\": \"local\"}");
  return g_string_free(s, FALSE);
}

gboolean
sl_cloudinit_write_disk(const SlContext *ctx, const char *path, GError **error)
{
  GError *local = NULL;
  g_autofree gchar *ud = user_data(ctx, &local);
  if (local != NULL) {
    g_propagate_error(error, local);
    return FALSE;
  }
  g_autofree gchar *keys = authorized_keys(ctx, error);
  if (keys == NULL)
    return FALSE;
  g_autofree gchar *meta = sl_cloudinit_meta_js(ud);
  g_autoptr(GBytes) meta_b = g_bytes_new_static(meta, strlen(meta));
  g_autoptr(GBytes) keys_b = g_bytes_new_static(keys, strlen(keys));
  const SlVfatEntry entries[] = {
      {.path = "meta.js", .data = meta_b},
      {.path = "root/.ssh/authorized_keys", .data = keys_b},
  };
  return sl_vfat_write(path, SL_CLOUDINIT_LABEL, SL_CLOUDINIT_DISK_SIZE, entries,
                       G_N_ELEMENTS(entries), error);
}

static gboolean
set_default(SlContext *ctx, const char *key, const char *value, GError **error)
{
  if (value == NULL || sl_context_get(ctx, key) != NULL)
    return TRUE;
  return sl_context_set(ctx, key, value, error);
}

gboolean
sl_cloudinit_add_keys(SlContext *ctx, const char *public_ip, GError **error)
{
  gboolean ci = sl_cloudinit_enabled(ctx);
  /* SSH_PUBLIC_KEY: the -k key(s), plus the cloud-init keys. */
  GString *keys = g_string_new(sl_context_get(ctx, "PUBLIC_KEY"));
  if (ci) {
    g_autofree gchar *extra = authorized_keys(ctx, NULL);
    g_auto(GStrv) lines = g_strsplit(extra ? extra : "", "\n", -1);
    for (guint i = 0; lines[i] != NULL; i++) {
      g_strstrip(lines[i]);
      if (lines[i][0] != '\0' && strstr(keys->str, lines[i]) == NULL)
        g_string_append_printf(keys, "%s%s", keys->len ? "\n" : "", lines[i]);
    }
  }
  gboolean ok = set_default(ctx, "SSH_PUBLIC_KEY", keys->len ? keys->str : NULL, error);
  g_string_free(keys, TRUE);
  const char *ud = sl_context_get(ctx, "CLOUD_INIT_USER_DATA");
  if (ok && ci && ud != NULL && *ud && sl_context_get(ctx, "USER_DATA") == NULL &&
      sl_context_get(ctx, "USERDATA") == NULL) {
    ok = sl_context_set(ctx, "USER_DATA", ud, error) &&
         set_default(ctx, "USERDATA_ENCODING", "base64", error);
  }
  /* the guest's NIC is QEMU user-mode networking (docs/cloud.md) */
  ok = ok && set_default(ctx, "ETH0_IP", "10.0.2.15", error) &&
       set_default(ctx, "ETH0_MASK", "255.255.255.0", error) &&
       set_default(ctx, "ETH0_GATEWAY", "10.0.2.2", error) &&
       set_default(ctx, "ETH0_DNS", "10.0.2.3", error);
  g_autoptr(GInetAddress) a = public_ip ? g_inet_address_new_from_string(public_ip) : NULL;
  if (ok && a != NULL && g_inet_address_get_family(a) == G_SOCKET_FAMILY_IPV4) {
    const guint8 *b = g_inet_address_to_bytes(a);
    g_autofree gchar *mac = g_strdup_printf("02:00:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3]);
    ok =
        set_default(ctx, "ETH0_MAC", mac, error) && set_default(ctx, "PUBLIC_IP", public_ip, error);
  }
  return ok;
}
