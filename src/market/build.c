/* build.c - checksums of (compressed) images, new entries, deprecation. */
#include <bzlib.h>
#include <errno.h>
#include <lzma.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "market/build.h"

#include "image/digest.h"
#include "image/identifier.h"
#include "market/xml.h"
#include "util/error.h"

#define CHUNK (1 << 20)

const char *
sl_market_compression_from_name(const char *path)
{
  if (g_str_has_suffix(path, ".gz") || g_str_has_suffix(path, ".tgz"))
    return "gz";
  if (g_str_has_suffix(path, ".bz2"))
    return "bz2";
  if (g_str_has_suffix(path, ".xz"))
    return "xz";
  return "";
}

typedef struct {
  SlMultiDigest *md; /* MD5, SHA-1, SHA-256, SHA-512 in one pass (image/digest.h) */
} Hashes;

static void
hashes_update(Hashes *h, const guint8 *data, gsize len)
{
  sl_multi_digest_update(h->md, data, len);
}

static gboolean
bad_data(const char *path, const char *what, GError **error)
{
  g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "%s: invalid %s data", path, what);
  return FALSE;
}

/* gzip, concatenated members allowed. */
static gboolean
hash_gz(FILE *f, const char *path, Hashes *h, guint8 *in, guint8 *out, GError **error)
{
  z_stream z = {0};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
    return bad_data(path, "gzip", error);
  int rc = Z_OK;
  gboolean ok = TRUE, any = FALSE;
  for (;;) {
    if (z.avail_in == 0) {
      z.avail_in = (uInt)fread(in, 1, CHUNK, f);
      z.next_in = in;
      if (z.avail_in == 0)
        break;
      any = TRUE;
    }
    z.next_out = out;
    z.avail_out = CHUNK;
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      ok = FALSE;
      break;
    }
    hashes_update(h, out, CHUNK - z.avail_out);
    if (rc == Z_STREAM_END)
      inflateReset(&z);
  }
  inflateEnd(&z);
  if (!ok || !any || (rc != Z_STREAM_END && rc != Z_OK && rc != Z_BUF_ERROR))
    return bad_data(path, "gzip", error);
  if (rc != Z_STREAM_END && z.total_in != 0)
    return bad_data(path, "gzip (truncated)", error);
  return TRUE;
}

static gboolean
hash_bz2(FILE *f, const char *path, Hashes *h, guint8 *in, guint8 *out, GError **error)
{
  bz_stream z = {0};
  if (BZ2_bzDecompressInit(&z, 0, 0) != BZ_OK)
    return bad_data(path, "bzip2", error);
  int rc = BZ_OK;
  gboolean ended = FALSE;
  for (;;) {
    if (z.avail_in == 0) {
      z.avail_in = (unsigned)fread(in, 1, CHUNK, f);
      z.next_in = (char *)in;
      if (z.avail_in == 0)
        break;
    }
    z.next_out = (char *)out;
    z.avail_out = CHUNK;
    rc = BZ2_bzDecompress(&z);
    if (rc != BZ_OK && rc != BZ_STREAM_END)
      break;
    hashes_update(h, out, CHUNK - z.avail_out);
    ended = rc == BZ_STREAM_END;
    if (ended) { /* concatenated streams (pbzip2) */
      unsigned left = z.avail_in;
      char *next = z.next_in;
      BZ2_bzDecompressEnd(&z);
      memset(&z, 0, sizeof z);
      BZ2_bzDecompressInit(&z, 0, 0);
      z.avail_in = left;
      z.next_in = next;
    }
  }
  BZ2_bzDecompressEnd(&z);
  if ((rc != BZ_OK && rc != BZ_STREAM_END) || !ended)
    return bad_data(path, "bzip2", error);
  return TRUE;
}

static gboolean
hash_xz(FILE *f, const char *path, Hashes *h, guint8 *in, guint8 *out, GError **error)
{
  lzma_stream z = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&z, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
    return bad_data(path, "xz", error);
  lzma_ret rc = LZMA_OK;
  lzma_action action = LZMA_RUN;
  while (rc == LZMA_OK) {
    if (z.avail_in == 0 && action == LZMA_RUN) {
      z.avail_in = fread(in, 1, CHUNK, f);
      z.next_in = in;
      if (z.avail_in == 0)
        action = LZMA_FINISH;
    }
    z.next_out = out;
    z.avail_out = CHUNK;
    rc = lzma_code(&z, action);
    hashes_update(h, out, CHUNK - z.avail_out);
  }
  lzma_end(&z);
  if (rc != LZMA_STREAM_END)
    return bad_data(path, "xz", error);
  return TRUE;
}

gboolean
sl_market_hash_image(const char *path, const char *compression, SlMarketEntry *entry,
                     GError **error)
{
  const char *c = compression ? compression : "";
  if (*c && strcmp(c, "gz") && strcmp(c, "bz2") && strcmp(c, "xz")) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "unknown compression '%s' (gz, bz2, xz or none)",
                c);
    return FALSE;
  }
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    int e = errno;
    g_set_error(error, SL_ERROR, e == ENOENT ? SL_ERROR_NOT_FOUND : SL_ERROR_INVALID,
                "cannot open %s: %s", path, g_strerror(e));
    return FALSE;
  }
  g_autoptr(SlMultiDigest) md = sl_multi_digest_new(SL_DIGEST_ALL);
  Hashes h = {md};
  g_autofree guint8 *in = g_malloc(CHUNK);
  g_autofree guint8 *out = g_malloc(CHUNK);
  gboolean ok = TRUE;
  if (strcmp(c, "gz") == 0)
    ok = hash_gz(f, path, &h, in, out, error);
  else if (strcmp(c, "bz2") == 0)
    ok = hash_bz2(f, path, &h, in, out, error);
  else if (strcmp(c, "xz") == 0)
    ok = hash_xz(f, path, &h, in, out, error);
  else
    for (size_t n; (n = fread(in, 1, CHUNK, f)) > 0;)
      hashes_update(&h, in, n);
  if (ok && ferror(f)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot read %s", path);
    ok = FALSE;
  }
  fclose(f);
  if (ok) {
    SlDigestResult d;
    sl_multi_digest_finish(md, &d);
    for (int i = 0; i < SL_DIGEST_N; i++)
      sl_market_entry_add_checksum(entry, sl_digest_name((SlDigest)i), d.hex[i]);
    entry->bytes = d.bytes;
    g_free(entry->sha1);
    entry->sha1 = g_strdup(d.hex[SL_DIGEST_SHA1]);
    g_free(entry->identifier);
    entry->identifier = g_strdup(d.identifier);
  }
  return ok;
}

static char *
or_default(const char *value, const char *def)
{
  return g_strdup(value ? value : def);
}

SlMarketEntry *
sl_market_build(const char *image_path, const SlMarketBuildInfo *info, GError **error)
{
  g_autoptr(GDateTime) now = info->now ? g_date_time_ref(info->now) : g_date_time_new_now_utc();
  g_autoptr(SlMarketEntry) e = sl_market_entry_new();
  e->compression = or_default(info->compression, sl_market_compression_from_name(image_path));
  if (!sl_market_hash_image(image_path, e->compression, e, error))
    return NULL;
  e->about = g_strconcat("#", e->identifier, NULL);
  e->type = or_default(info->type, "base");
  e->kind = or_default(info->kind, "machine");
  e->os = or_default(info->os, "");
  e->os_version = or_default(info->os_version, "");
  e->os_arch = or_default(info->os_arch, "");
  e->version = or_default(info->version, "");
  for (const char *const *l = info->locations; l && *l; l++)
    g_ptr_array_add(e->locations, g_strdup(*l));
  e->format = or_default(info->format, "raw");
  e->creator = g_strdup(info->creator);
  e->image_created = sl_market_format_date(now);
  if (info->valid != NULL) {
    if (!sl_market_date_valid(info->valid)) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                  "invalid validity date '%s' (yyyy-MM-ddTHH:mm:ssZ)", info->valid);
      return NULL;
    }
    e->valid = g_strdup(info->valid);
  } else {
    gint64 hours =
        info->validity_hours > 0 ? info->validity_hours : SL_MARKET_DEFAULT_VALIDITY_HOURS;
    g_autoptr(GDateTime) end = g_date_time_add_hours(now, (gint)hours);
    e->valid = sl_market_format_date(end);
  }
  e->title = g_strdup(info->title);
  e->alternative = g_strdup(info->alternative);
  e->description = or_default(info->description, "");
  e->hypervisor = or_default(info->hypervisor, "kvm");
  e->disks_bus = or_default(info->disks_bus, "ide");
  e->publisher = or_default(info->publisher, "StratusLab");
  return g_steal_pointer(&e);
}

char *
sl_market_build_filename(const SlMarketEntry *e)
{
  return g_strdup_printf("%s-%s-%s-%s-%s.xml", e->os ? e->os : "",
                         e->os_version ? e->os_version : "", e->os_arch ? e->os_arch : "",
                         e->type ? e->type : "", e->version ? e->version : "");
}

char *
sl_market_deprecate(const char *data, gsize len, const char *reason,
                    const SlMarketCredentials *creds, const char *email, GDateTime *now,
                    gsize *out_len, GError **error)
{
  g_autoptr(xmlDoc) doc = sl_market_xml_parse(data, len, error);
  if (doc == NULL)
    return NULL;
  xmlNode *root = xmlDocGetRootElement(doc);
  xmlNode *desc =
      sl_xml_is(root, SL_NS_RDF, "RDF") ? sl_xml_child(root, SL_NS_RDF, "Description") : NULL;
  if (desc == NULL) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "rdf:RDF must contain one rdf:Description element");
    return NULL;
  }
  for (xmlNode *n = sl_xml_child(desc, SL_NS_SLTERMS, "deprecated"); n;
       n = sl_xml_child(desc, SL_NS_SLTERMS, "deprecated")) {
    xmlUnlinkNode(n);
    xmlFreeNode(n);
  }
  xmlNs *ns = xmlSearchNsByHref(doc, desc, (const xmlChar *)SL_NS_SLTERMS);
  if (ns == NULL || ns->prefix == NULL)
    ns = xmlNewNs(root, (const xmlChar *)SL_NS_SLTERMS, (const xmlChar *)"slterms");
  xmlNode *dep = xmlNewDocNode(doc, ns, (const xmlChar *)"deprecated", NULL);
  xmlNodeAddContent(dep, (const xmlChar *)(reason ? reason : "This image has been deprecated"));
  /* Before the trailing whitespace, indented like the last property. */
  xmlNode *tail = desc->last;
  if (tail && tail->type == XML_TEXT_NODE && tail->prev && tail->prev->prev &&
      tail->prev->prev->type == XML_TEXT_NODE) {
    xmlAddPrevSibling(tail, xmlNewDocText(doc, tail->prev->prev->content));
    xmlAddPrevSibling(tail, dep);
  } else {
    xmlAddChild(desc, dep);
  }
  gsize mid_len = 0;
  g_autofree char *mid = sl_market_xml_dump(doc, &mid_len);
  return sl_market_sign(mid, mid_len, creds, email, now, out_len, error);
}
