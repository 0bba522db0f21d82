/* entry.c - SlMarketEntry: extraction from a document, template writer,
 * status and ordering helpers. */
#include "market/entry.h"

#include <string.h>

#include "image/identifier.h"
#include "market/xml.h"
#include "util/error.h"

static void
checksum_free(gpointer p)
{
  SlMarketChecksum *c = p;
  g_free(c->algorithm);
  g_free(c->value);
  g_free(c);
}

SlMarketEntry *
sl_market_entry_new(void)
{
  SlMarketEntry *e = g_new0(SlMarketEntry, 1);
  e->checksums = g_ptr_array_new_with_free_func(checksum_free);
  e->locations = g_ptr_array_new_with_free_func(g_free);
  e->inbound_ports = g_array_new(FALSE, FALSE, sizeof(guint));
  e->outbound_ports = g_array_new(FALSE, FALSE, sizeof(guint));
  e->icmp = g_array_new(FALSE, FALSE, sizeof(guint));
  return e;
}

void
sl_market_entry_free(SlMarketEntry *e)
{
  if (e == NULL)
    return;
  char **strings[] = {
      &e->identifier,        &e->about,         &e->sha1,       &e->created,   &e->email,
      &e->subject,           &e->issuer,        &e->type,       &e->kind,      &e->os,
      &e->os_version,        &e->os_arch,       &e->version,    &e->format,    &e->compression,
      &e->creator,           &e->image_created, &e->valid,      &e->title,     &e->alternative,
      &e->description,       &e->publisher,     &e->hypervisor, &e->disks_bus, &e->serial_number,
      &e->deprecated_reason,
  };
  for (gsize i = 0; i < G_N_ELEMENTS(strings); i++)
    g_free(*strings[i]);
  g_ptr_array_unref(e->checksums);
  g_ptr_array_unref(e->locations);
  g_array_unref(e->inbound_ports);
  g_array_unref(e->outbound_ports);
  g_array_unref(e->icmp);
  if (e->xml)
    g_bytes_unref(e->xml);
  g_free(e);
}

void
sl_market_entry_add_checksum(SlMarketEntry *e, const char *algorithm, const char *value)
{
  SlMarketChecksum *c = g_new0(SlMarketChecksum, 1);
  c->algorithm = g_strdup(algorithm);
  c->value = g_strdup(value);
  g_ptr_array_add(e->checksums, c);
}

const char *
sl_market_entry_checksum(const SlMarketEntry *e, const char *algorithm)
{
  for (guint i = 0; i < e->checksums->len; i++) {
    SlMarketChecksum *c = g_ptr_array_index(e->checksums, i);
    if (g_strcmp0(c->algorithm, algorithm) == 0)
      return c->value;
  }
  return NULL;
}

/* Sets *slot to the trimmed text of node unless already set (first wins). */
static void
take_text(char **slot, const xmlNode *node)
{
  if (*slot != NULL)
    return;
  *slot = g_strstrip(sl_xml_text(node));
}

static void
take_uint(GArray *array, const xmlNode *node)
{
  g_autofree char *text = g_strstrip(sl_xml_text(node));
  guint64 v = 0;
  if (g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT, &v, NULL)) {
    guint u = (guint)v;
    g_array_append_val(array, u);
  }
}

static void
read_endorsement(SlMarketEntry *e, const xmlNode *endorsement)
{
  for (xmlNode *n = sl_xml_first_element(endorsement); n; n = sl_xml_next_element(n)) {
    if (sl_xml_is(n, SL_NS_DCTERMS, "created"))
      take_text(&e->created, n);
    else if (sl_xml_is(n, SL_NS_SLREQ, "endorser")) {
      for (xmlNode *m = sl_xml_first_element(n); m; m = sl_xml_next_element(m)) {
        if (sl_xml_is(m, SL_NS_SLREQ, "email"))
          take_text(&e->email, m);
        else if (sl_xml_is(m, SL_NS_SLREQ, "subject"))
          take_text(&e->subject, m);
        else if (sl_xml_is(m, SL_NS_SLREQ, "issuer"))
          take_text(&e->issuer, m);
      }
    }
  }
}

static void
read_property(SlMarketEntry *e, const xmlNode *n)
{
  static const struct {
    const char *ns, *name;
    gsize offset;
  } texts[] = {
      {SL_NS_DCTERMS, "identifier", G_STRUCT_OFFSET(SlMarketEntry, identifier)},
      {SL_NS_DCTERMS, "type", G_STRUCT_OFFSET(SlMarketEntry, type)},
      {SL_NS_SLTERMS, "kind", G_STRUCT_OFFSET(SlMarketEntry, kind)},
      {SL_NS_SLTERMS, "os", G_STRUCT_OFFSET(SlMarketEntry, os)},
      {SL_NS_SLTERMS, "os-version", G_STRUCT_OFFSET(SlMarketEntry, os_version)},
      {SL_NS_SLTERMS, "os-arch", G_STRUCT_OFFSET(SlMarketEntry, os_arch)},
      {SL_NS_SLTERMS, "version", G_STRUCT_OFFSET(SlMarketEntry, version)},
      {SL_NS_DCTERMS, "format", G_STRUCT_OFFSET(SlMarketEntry, format)},
      {SL_NS_DCTERMS, "compression", G_STRUCT_OFFSET(SlMarketEntry, compression)},
      {SL_NS_DCTERMS, "creator", G_STRUCT_OFFSET(SlMarketEntry, creator)},
      {SL_NS_DCTERMS, "created", G_STRUCT_OFFSET(SlMarketEntry, image_created)},
      {SL_NS_DCTERMS, "valid", G_STRUCT_OFFSET(SlMarketEntry, valid)},
      {SL_NS_DCTERMS, "title", G_STRUCT_OFFSET(SlMarketEntry, title)},
      {SL_NS_DCTERMS, "alternative", G_STRUCT_OFFSET(SlMarketEntry, alternative)},
      {SL_NS_DCTERMS, "description", G_STRUCT_OFFSET(SlMarketEntry, description)},
      {SL_NS_DCTERMS, "publisher", G_STRUCT_OFFSET(SlMarketEntry, publisher)},
      {SL_NS_SLTERMS, "hypervisor", G_STRUCT_OFFSET(SlMarketEntry, hypervisor)},
      {SL_NS_SLTERMS, "disks-bus", G_STRUCT_OFFSET(SlMarketEntry, disks_bus)},
      {SL_NS_SLTERMS, "serial-number", G_STRUCT_OFFSET(SlMarketEntry, serial_number)},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(texts); i++)
    if (sl_xml_is(n, texts[i].ns, texts[i].name)) {
      take_text(G_STRUCT_MEMBER_P(e, texts[i].offset), n);
      return;
    }
  if (sl_xml_is(n, SL_NS_SLREQ, "bytes")) {
    g_autofree char *text = g_strstrip(sl_xml_text(n));
    guint64 v = 0;
    if (g_ascii_string_to_unsigned(text, 10, 0, G_MAXUINT64, &v, NULL))
      e->bytes = v;
  } else if (sl_xml_is(n, SL_NS_SLREQ, "checksum")) {
    xmlNode *alg = sl_xml_child(n, SL_NS_SLREQ, "algorithm");
    xmlNode *val = sl_xml_child(n, SL_NS_SLREQ, "value");
    g_autofree char *a = alg ? g_strstrip(sl_xml_text(alg)) : g_strdup("");
    g_autofree char *v = val ? g_strstrip(sl_xml_text(val)) : g_strdup("");
    sl_market_entry_add_checksum(e, a, v);
  } else if (sl_xml_is(n, SL_NS_SLREQ, "endorsement")) {
    read_endorsement(e, n);
  } else if (sl_xml_is(n, SL_NS_SLTERMS, "location")) {
    g_ptr_array_add(e->locations, g_strstrip(sl_xml_text(n)));
  } else if (sl_xml_is(n, SL_NS_SLTERMS, "inbound-port")) {
    take_uint(e->inbound_ports, n);
  } else if (sl_xml_is(n, SL_NS_SLTERMS, "outbound-port")) {
    take_uint(e->outbound_ports, n);
  } else if (sl_xml_is(n, SL_NS_SLTERMS, "icmp")) {
    take_uint(e->icmp, n);
  } else if (sl_xml_is(n, SL_NS_SLTERMS, "deprecated")) {
    e->deprecated = TRUE;
    take_text(&e->deprecated_reason, n);
  }
}

SlMarketEntry *
sl_market_entry_from_doc(xmlDoc *doc, GError **error)
{
  xmlNode *root = xmlDocGetRootElement(doc);
  if (!sl_xml_is(root, SL_NS_RDF, "RDF")) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "root element must be rdf:RDF");
    return NULL;
  }
  xmlNode *desc = sl_xml_child(root, SL_NS_RDF, "Description");
  if (desc == NULL) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "rdf:RDF must contain one rdf:Description element");
    return NULL;
  }
  SlMarketEntry *e = sl_market_entry_new();
  e->about = sl_xml_attr(desc, SL_NS_RDF, "about");
  for (xmlNode *n = sl_xml_first_element(desc); n; n = sl_xml_next_element(n))
    read_property(e, n);
  const char *sha1 = sl_market_entry_checksum(e, "SHA-1");
  guint8 raw[SL_SHA1_LEN];
  if (sha1 != NULL && sl_sha1_from_hex(sha1, raw, NULL)) {
    e->sha1 = g_malloc(SL_SHA1_HEX_LEN + 1);
    sl_sha1_to_hex(raw, e->sha1);
  }
  e->has_signature = sl_xml_find(root, SL_NS_DSIG, "Signature") != NULL;
  return e;
}

SlMarketEntry *
sl_market_entry_parse(const char *data, gsize len, GError **error)
{
  g_autoptr(xmlDoc) doc = sl_market_xml_parse(data, len, error);
  if (doc == NULL)
    return NULL;
  SlMarketEntry *e = sl_market_entry_from_doc(doc, error);
  if (e != NULL)
    e->xml = g_bytes_new(data, len);
  return e;
}

static void
element(GString *out, const char *indent, const char *qname, const char *value, gboolean always)
{
  if (value == NULL && !always)
    return;
  g_autofree char *escaped = g_markup_escape_text(value ? value : "", -1);
  g_string_append_printf(out, "%s<%s>%s</%s>\n", indent, qname, escaped, qname);
}

char *
sl_market_entry_to_xml(const SlMarketEntry *e)
{
  const char *in = "        ";
  GString *out = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
                              "<rdf:RDF xmlns:rdf=\"" SL_NS_RDF "\"\n"
                              "         xmlns:dcterms=\"" SL_NS_DCTERMS "\"\n"
                              "         xmlns:slreq=\"" SL_NS_SLREQ "\"\n"
                              "         xmlns:slterms=\"" SL_NS_SLTERMS "\"\n"
                              "         xml:base=\"" SL_MARKET_BASE "\">\n\n");
  g_autofree char *about = g_markup_escape_text(e->identifier ? e->identifier : "", -1);
  g_string_append_printf(out, "    <rdf:Description rdf:about=\"#%s\">\n\n", about);
  element(out, in, "dcterms:identifier", e->identifier, TRUE);
  g_string_append_printf(out, "%s<slreq:bytes>%" G_GUINT64_FORMAT "</slreq:bytes>\n", in, e->bytes);
  for (guint i = 0; i < e->checksums->len; i++) {
    SlMarketChecksum *c = g_ptr_array_index(e->checksums, i);
    g_string_append_printf(out, "%s<slreq:checksum rdf:parseType=\"Resource\">\n", in);
    element(out, "            ", "slreq:algorithm", c->algorithm, TRUE);
    element(out, "            ", "slreq:value", c->value, TRUE);
    g_string_append_printf(out, "%s</slreq:checksum>\n", in);
  }
  g_string_append_printf(out, "%s<slreq:endorsement rdf:parseType=\"Resource\"/>\n\n", in);
  element(out, in, "dcterms:type", e->type, TRUE);
  element(out, in, "slterms:kind", e->kind, FALSE);
  element(out, in, "slterms:os", e->os, TRUE);
  element(out, in, "slterms:os-version", e->os_version, TRUE);
  element(out, in, "slterms:os-arch", e->os_arch, TRUE);
  element(out, in, "slterms:version", e->version, TRUE);
  element(out, in, "dcterms:compression", e->compression, TRUE);
  for (guint i = 0; i < e->locations->len; i++)
    element(out, in, "slterms:location", g_ptr_array_index(e->locations, i), TRUE);
  element(out, in, "dcterms:format", e->format, FALSE);
  element(out, in, "dcterms:creator", e->creator, FALSE);
  element(out, in, "dcterms:created", e->image_created, TRUE);
  element(out, in, "dcterms:valid", e->valid, TRUE);
  element(out, in, "dcterms:title", e->title, FALSE);
  element(out, in, "dcterms:alternative", e->alternative, FALSE);
  element(out, in, "dcterms:description", e->description, TRUE);
  element(out, in, "slterms:hypervisor", e->hypervisor, FALSE);
  element(out, in, "slterms:disks-bus", e->disks_bus, FALSE);
  element(out, in, "dcterms:publisher", e->publisher, FALSE);
  if (e->deprecated)
    element(out, in, "slterms:deprecated", e->deprecated_reason, TRUE);
  g_string_append(out, "\n    </rdf:Description>\n</rdf:RDF>\n");
  return g_string_free(out, FALSE);
}

SlMarketStatus
sl_market_entry_status(const SlMarketEntry *e, GDateTime *now)
{
  if (e->deprecated)
    return SL_MARKET_STATUS_DEPRECATED;
  if (e->valid == NULL)
    return SL_MARKET_STATUS_VALID;
  g_autofree char *at = sl_market_format_date(now);
  return strcmp(e->valid, at) > 0 ? SL_MARKET_STATUS_VALID : SL_MARKET_STATUS_EXPIRED;
}

const char *
sl_market_status_name(SlMarketStatus status)
{
  switch (status) {
  case SL_MARKET_STATUS_VALID:
    return "valid";
  case SL_MARKET_STATUS_EXPIRED:
    return "expired";
  case SL_MARKET_STATUS_DEPRECATED:
    return "deprecated";
  }
  return "unknown";
}

int
sl_market_entry_compare_created(const SlMarketEntry *a, const SlMarketEntry *b)
{
  int c = g_strcmp0(a->created, b->created);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

gboolean
sl_market_entry_is_newer(const SlMarketEntry *a, const SlMarketEntry *b)
{
  return sl_market_entry_compare_created(a, b) > 0;
}

char *
sl_market_entry_key(const SlMarketEntry *e)
{
  if (e->identifier == NULL || e->email == NULL || e->created == NULL)
    return NULL;
  return g_strdup_printf("%s/%s/%s", e->identifier, e->email, e->created);
}

char *
sl_market_format_date(GDateTime *time)
{
  g_autoptr(GDateTime) utc = g_date_time_to_utc(time);
  return g_date_time_format(utc, "%Y-%m-%dT%H:%M:%SZ");
}

GDateTime *
sl_market_parse_date(const char *date)
{
  if (!sl_market_date_valid(date))
    return NULL;
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc();
  return g_date_time_new_from_iso8601(date, utc);
}
