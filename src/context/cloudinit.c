/* cloudinit.c - client-side CloudInit encoding (protocols.md §6): pairs,
 * MIME multipart, gzip, base64, cloud-init.txt. See cloudinit.h. */
#include "context/cloudinit.h"

#include <string.h>
#include <zlib.h>

#include "util/error.h"

/* text/ subtypes cloud-init understands (its part handlers and the
 * starts-with rules of user-data); anything else is most likely a typo. */
static const char *const known_types[] = {
    "x-shellscript",
    "x-shellscript-per-boot",
    "x-shellscript-per-instance",
    "x-shellscript-per-once",
    "cloud-config",
    "cloud-config-archive",
    "cloud-config-jsonp",
    "cloud-boothook",
    "x-include-url",
    "x-include-once-url",
    "upstart-job",
    "part-handler",
    "jinja2",
    "plain",
    NULL,
};

void
sl_cloudinit_pair_free(SlCloudInitPair *pair)
{
  if (pair == NULL)
    return;
  g_free(pair->type);
  g_free(pair->path);
  g_free(pair);
}

void
sl_cloudinit_free(SlCloudInit *ci)
{
  if (ci == NULL)
    return;
  g_free(ci->authorized_keys);
  g_free(ci->user_data);
  g_free(ci);
}

SlCloudInitPair *
sl_cloudinit_parse_pair(const char *item, GError **error)
{
  const char *comma = strchr(item, ',');
  if (comma == NULL || comma == item || comma[1] == '\0') {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "Invalid cloud-init pair `%s` (mimetype,file expected)", item);
    return NULL;
  }
  g_autofree gchar *type = g_ascii_strdown(item, comma - item);
  g_strstrip(type);
  const char *sub = g_str_has_prefix(type, "text/") ? type + 5 : type;
  gboolean known = g_str_equal(sub, "ssh") || g_str_equal(sub, "none");
  for (guint i = 0; !known && known_types[i] != NULL; i++)
    known = g_str_equal(sub, known_types[i]);
  if (!known) {
    g_autofree gchar *list = g_strjoinv(", ", (gchar **)known_types);
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "Unknown cloud-init mimetype `%s` in `%s` (use ssh, none or one of %s)", type, item,
                list);
    return NULL;
  }
  SlCloudInitPair *pair = g_new0(SlCloudInitPair, 1);
  pair->type = g_strdup(sub);
  pair->path = g_strdup(comma + 1);
  return pair;
}

GPtrArray *
sl_cloudinit_parse_arg(const char *arg, GError **error)
{
  g_autoptr(GPtrArray) pairs =
      g_ptr_array_new_with_free_func((GDestroyNotify)sl_cloudinit_pair_free);
  g_auto(GStrv) items = g_strsplit(arg != NULL ? arg : "", "#", -1);
  for (guint i = 0; items[i] != NULL; i++) {
    if (items[i][strspn(items[i], " \t")] == '\0')
      continue;
    SlCloudInitPair *pair = sl_cloudinit_parse_pair(items[i], error);
    if (pair == NULL)
      return NULL;
    g_ptr_array_add(pairs, pair);
  }
  if (pairs->len == 0) {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID,
                        "No cloud-init pairs given (mimetype,file expected)");
    return NULL;
  }
  return g_steal_pointer(&pairs);
}

/* ---- gzip ---------------------------------------------------------------- */

static void
put_le32(guint8 *p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8)(v >> (8 * i));
}

GBytes *
sl_gzip(const void *data, gsize len)
{
  z_stream zs = {0};
  /* raw deflate; the header and trailer are written here so that they
   * are exactly Python's: mtime 0, XFL 2 (level 9), OS 255, no name. */
  if (deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    g_error("deflateInit2 failed");
  gsize bound = deflateBound(&zs, (uLong)len);
  guint8 *out = g_malloc(10 + bound + 8);
  static const guint8 header[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 0xff};
  memcpy(out, header, 10);
  zs.next_in = (Bytef *)data;
  zs.avail_in = (uInt)len;
  zs.next_out = out + 10;
  zs.avail_out = (uInt)bound;
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
    g_error("deflate failed");
  gsize n = 10 + zs.total_out;
  deflateEnd(&zs);
  put_le32(out + n, (guint32)crc32(crc32(0, NULL, 0), data, (uInt)len));
  put_le32(out + n + 4, (guint32)len);
  return g_bytes_new_take(out, n + 8);
}

GBytes *
sl_gunzip(const void *data, gsize len, gsize max, GError **error)
{
  z_stream zs = {0};
  if (inflateInit2(&zs, 16 + 15) != Z_OK) {
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INTERNAL, "inflateInit2 failed");
    return NULL;
  }
  GByteArray *out = g_byte_array_new();
  guint8 buf[16384];
  int rc = Z_OK;
  zs.next_in = (Bytef *)data;
  zs.avail_in = (uInt)len;
  while (rc == Z_OK) {
    zs.next_out = buf;
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END)
      break;
    g_byte_array_append(out, buf, (guint)(sizeof buf - zs.avail_out));
    if (out->len > max) {
      inflateEnd(&zs);
      g_byte_array_unref(out);
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                  "gzip'd data is larger than %" G_GSIZE_FORMAT " bytes once decompressed", max);
      return NULL;
    }
    if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
      rc = Z_DATA_ERROR; /* truncated */
      break;
    }
  }
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    g_byte_array_unref(out);
    g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID, "invalid gzip data");
    return NULL;
  }
  return g_byte_array_free_to_bytes(out);
}

/* ---- MIME multipart ------------------------------------------------------ */

/* Python's "=" * 15 + "%019d" % random + "==", with the number taken from a
 * SHA-256 of the parts so that the same input gives the same output. */
static gchar *
make_boundary(const char *const *names, GBytes *const *contents, gsize n)
{
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
  for (gsize i = 0; i < n; i++) {
    gsize len = 0;
    const guchar *p = g_bytes_get_data(contents[i], &len);
    g_checksum_update(sum, (const guchar *)names[i], (gssize)strlen(names[i]) + 1);
    g_checksum_update(sum, p, (gssize)len);
  }
  guint8 digest[32];
  gsize dlen = sizeof digest;
  g_checksum_get_digest(sum, digest, &dlen);
  guint64 v = 0;
  for (int i = 0; i < 8; i++)
    v = (v << 8) | digest[i];
  v %= G_GUINT64_CONSTANT(9223372036854775807); /* Python: randrange(sys.maxsize) */
  g_autofree gchar *base = g_strdup_printf("===============%019" G_GUINT64_FORMAT "==", v);
  gchar *b = g_strdup(base);
  for (guint counter = 0;; counter++) {
    g_autofree gchar *delim = g_strconcat("--", b, NULL);
    gboolean clash = FALSE;
    for (gsize i = 0; i < n && !clash; i++) {
      gsize len = 0;
      const char *p = g_bytes_get_data(contents[i], &len);
      clash = len > 0 && g_strstr_len(p, (gssize)len, delim) != NULL;
    }
    if (!clash)
      return b;
    g_free(b);
    b = g_strdup_printf("%s.%u", base, counter);
  }
}

static gboolean
has_8bit(GBytes *b)
{
  gsize len = 0;
  const guint8 *p = g_bytes_get_data(b, &len);
  for (gsize i = 0; i < len; i++)
    if (p[i] & 0x80)
      return TRUE;
  return FALSE;
}

gchar *
sl_cloudinit_multipart(const char *const *subtypes, const char *const *names,
                       GBytes *const *contents, gsize n)
{
  g_autofree gchar *boundary = make_boundary(names, contents, n);
  GString *s = g_string_new(NULL);
  g_string_append_printf(s,
                         "Content-Type: multipart/mixed; boundary=\"%s\"\n"
                         "MIME-Version: 1.0\n\n",
                         boundary);
  for (gsize i = 0; i < n; i++) {
    gsize len = 0;
    const char *p = g_bytes_get_data(contents[i], &len);
    g_string_append_printf(s,
                           "%s--%s\n"
                           "Content-Type: text/%s; charset=\"us-ascii\"\n"
                           "MIME-Version: 1.0\n"
                           "Content-Transfer-Encoding: %s\n"
                           "Content-Disposition: attachment; filename=\"%s\"\n\n",
                           i ? "\n" : "", boundary, subtypes[i],
                           has_8bit(contents[i]) ? "8bit" : "7bit", names[i]);
    g_string_append_len(s, p, (gssize)len);
  }
  g_string_append_printf(s, "\n--%s--", boundary);
  return g_string_free(s, FALSE);
}

/* ---- encoding ------------------------------------------------------------ */

static gboolean
is_text(GBytes *b)
{
  gsize len = 0;
  const char *p = g_bytes_get_data(b, &len);
  return (len == 0 || memchr(p, '\0', len) == NULL) && g_utf8_validate_len(p, len, NULL);
}

SlCloudInit *
sl_cloudinit_encode_data(const char *const *types, const char *const *names,
                         GBytes *const *contents, gsize n, GError **error)
{
  GString *keys = g_string_new(NULL);
  g_autoptr(GPtrArray) sub = g_ptr_array_new();
  g_autoptr(GPtrArray) pnames = g_ptr_array_new();
  g_autoptr(GPtrArray) pdata = g_ptr_array_new();
  GBytes *raw = NULL; /* the last `none` file */
  gboolean any_key = FALSE;

  for (gsize i = 0; i < n; i++) {
    if (!is_text(contents[i])) {
      g_string_free(keys, TRUE);
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                  "cloud-init file `%s` is binary; user data must be text", names[i]);
      return NULL;
    }
    if (g_str_equal(types[i], "ssh")) {
      gsize len = 0;
      const char *p = g_bytes_get_data(contents[i], &len);
      g_autofree gchar *k = g_strstrip(g_strndup(p, len));
      g_string_append_printf(keys, "%s\n", k);
      any_key = TRUE;
    } else if (g_str_equal(types[i], "none")) {
      raw = contents[i];
    } else {
      g_ptr_array_add(sub, (gpointer)types[i]);
      g_ptr_array_add(pnames, (gpointer)names[i]);
      g_ptr_array_add(pdata, contents[i]);
    }
  }
  g_autoptr(SlCloudInit) ci = g_new0(SlCloudInit, 1);
  if (any_key)
    ci->authorized_keys = g_base64_encode((const guchar *)keys->str, keys->len);
  g_string_free(keys, TRUE);

  g_autoptr(GBytes) gz = NULL;
  if (raw != NULL) {
    gsize len = 0;
    const void *p = g_bytes_get_data(raw, &len);
    gz = sl_gzip(p, len);
  } else if (sub->len > 0) {
    g_autofree gchar *mp =
        sl_cloudinit_multipart((const char *const *)sub->pdata, (const char *const *)pnames->pdata,
                               (GBytes *const *)pdata->pdata, sub->len);
    gz = sl_gzip(mp, strlen(mp));
  }
  if (gz != NULL) {
    gsize len = 0;
    const guchar *p = g_bytes_get_data(gz, &len);
    if (len > SL_CLOUDINIT_LIMIT) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                  "multipart size (%" G_GSIZE_FORMAT ") exceeds limit (%d)", len,
                  SL_CLOUDINIT_LIMIT);
      return NULL;
    }
    ci->gzip_size = len;
    ci->user_data = g_base64_encode(p, len);
  }
  return g_steal_pointer(&ci);
}

SlCloudInit *
sl_cloudinit_encode(GPtrArray *pairs, GError **error)
{
  g_autoptr(GPtrArray) types = g_ptr_array_new();
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GPtrArray) data = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
  for (guint i = 0; i < pairs->len; i++) {
    const SlCloudInitPair *pair = g_ptr_array_index(pairs, i);
    g_autoptr(GError) local = NULL;
    gchar *text = NULL;
    gsize len = 0;
    if (!g_file_test(pair->path, G_FILE_TEST_IS_REGULAR)) {
      g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "cloud-init file `%s` does not exist",
                  pair->path);
      return NULL;
    }
    if (!g_file_get_contents(pair->path, &text, &len, &local)) {
      g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot read cloud-init file: %s",
                  local->message);
      return NULL;
    }
    GBytes *b = g_bytes_new_take(text, len);
    g_ptr_array_add(data, b);
    if (!is_text(b)) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                  "cloud-init file `%s` is binary; user data must be text", pair->path);
      return NULL;
    }
    g_ptr_array_add(types, pair->type);
    g_ptr_array_add(names, g_path_get_basename(pair->path));
  }
  return sl_cloudinit_encode_data((const char *const *)types->pdata,
                                  (const char *const *)names->pdata, (GBytes *const *)data->pdata,
                                  types->len, error);
}

gchar *
sl_cloudinit_render(const SlCloudInit *ci)
{
  GString *s = g_string_new("CONTEXT_METHOD=" SL_CLOUDINIT_METHOD "\n");
  if (ci->authorized_keys != NULL)
    g_string_append_printf(s, "CLOUD_INIT_AUTHORIZED_KEYS=%s\n", ci->authorized_keys);
  if (ci->user_data != NULL)
    g_string_append_printf(s, "CLOUD_INIT_USER_DATA=%s\n\n", ci->user_data);
  return g_string_free(s, FALSE);
}
