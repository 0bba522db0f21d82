/* validate.c - schema-level and constraint rules of metadata entries
 * (protocols.md §5.2), and sl_market_validate().
 *
 * The 13.05 Java code validated with an XSD (image-metadata.xsd, slreq.xsd,
 * slterms.xsd) then XPath constraints. No XSD is shipped here: the rules it
 * expresses are checked directly on the libxml2 tree, each failure with a
 * message that names the rule. */
#include <string.h>

#include "image/identifier.h"
#include "market/rdf.h"
#include "market/validate.h"
#include "market/xml.h"
#include "util/error.h"

#define FAIL(...)                                                                                  \
  do {                                                                                             \
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, __VA_ARGS__);                                   \
    return FALSE;                                                                                  \
  } while (0)

static gboolean
all_chars(const char *s, const char *extra, gboolean hex)
{
  if (s == NULL || *s == '\0')
    return FALSE;
  for (const char *p = s; *p; p++) {
    if (hex ? g_ascii_isxdigit(*p) : g_ascii_isalnum(*p))
      continue;
    if (extra && strchr(extra, *p))
      continue;
    return FALSE;
  }
  return TRUE;
}

static gboolean
is_id(const char *s)
{
  return s && strlen(s) == SL_IDENTIFIER_LEN && all_chars(s, "_-", FALSE);
}

/* xsd:nonNegativeInteger (optional sign, digits, surrounding space). */
static gboolean
non_negative(const char *text, guint64 max, guint64 *out)
{
  g_autofree char *t = g_strstrip(g_strdup(text));
  const char *p = t[0] == '+' ? t + 1 : t;
  if (*p == '\0')
    return FALSE;
  for (const char *q = p; *q; q++)
    if (!g_ascii_isdigit(*q))
      return FALSE;
  while (p[0] == '0' && p[1] != '\0')
    p++;
  if (strlen(p) > 19)
    return max == G_MAXUINT64 && out == NULL;
  guint64 v = g_ascii_strtoull(p, NULL, 10);
  if (out)
    *out = v;
  return v <= max;
}

static gboolean
check_parse_type(const xmlNode *node, GError **error)
{
  g_autofree char *pt = sl_xml_attr(node, SL_NS_RDF, "parseType");
  if (g_strcmp0(pt, "Resource") != 0) {
    g_autofree char *q = sl_xml_qname(node);
    FAIL("%s must have rdf:parseType=\"Resource\" (found \"%s\")", q, pt ? pt : "");
  }
  return TRUE;
}

static gboolean
check_no_text(const xmlNode *node, GError **error)
{
  if (sl_xml_has_text(node)) {
    g_autofree char *q = sl_xml_qname(node);
    FAIL("%s cannot contain text", q);
  }
  return TRUE;
}

static gboolean
check_checksum(const xmlNode *cs, GError **error)
{
  if (!check_parse_type(cs, error) || !check_no_text(cs, error))
    return FALSE;
  xmlNode *alg = sl_xml_first_element(cs);
  xmlNode *val = sl_xml_next_element(alg);
  if (!sl_xml_is(alg, SL_NS_SLREQ, "algorithm") || !sl_xml_is(val, SL_NS_SLREQ, "value") ||
      sl_xml_next_element(val) != NULL)
    FAIL("slreq:checksum must contain slreq:algorithm then slreq:value");
  g_autofree char *a = g_strstrip(sl_xml_text(alg));
  if (*a == '\0')
    FAIL("slreq:algorithm cannot be empty");
  g_autofree char *v = g_strstrip(sl_xml_text(val));
  if (!all_chars(v, NULL, TRUE))
    FAIL("slreq:checksum value \"%s\" is not hexadecimal ([A-Fa-f0-9]+)", v);
  return TRUE;
}

static gboolean
check_endorser(const xmlNode *endorser, GError **error)
{
  if (!check_parse_type(endorser, error) || !check_no_text(endorser, error))
    return FALSE;
  xmlNode *n = sl_xml_first_element(endorser);
  if (!sl_xml_is(n, SL_NS_SLREQ, "email"))
    FAIL("slreq:endorser must start with slreq:email");
  g_autofree char *email = g_strstrip(sl_xml_text(n));
  if (!sl_market_email_valid(email))
    FAIL("slreq:email \"%s\" is not a valid email address", email);
  n = sl_xml_next_element(n);
  if (!sl_xml_is(n, SL_NS_SLREQ, "subject"))
    FAIL("slreq:endorser must contain slreq:subject after slreq:email");
  n = sl_xml_next_element(n);
  if (!sl_xml_is(n, SL_NS_SLREQ, "issuer"))
    FAIL("slreq:endorser must contain at least one slreq:issuer after slreq:subject");
  while (sl_xml_is(n, SL_NS_SLREQ, "issuer"))
    n = sl_xml_next_element(n);
  if (n != NULL) {
    g_autofree char *q = sl_xml_qname(n);
    FAIL("unexpected element %s in slreq:endorser", q);
  }
  return TRUE;
}

static gboolean
check_endorsement(const xmlNode *endorsement, GError **error)
{
  if (!check_parse_type(endorsement, error) || !check_no_text(endorsement, error))
    return FALSE;
  xmlNode *n = sl_xml_first_element(endorsement);
  if (n == NULL) /* empty: an unsigned draft */
    return TRUE;
  if (!sl_xml_is(n, SL_NS_DCTERMS, "created"))
    FAIL("slreq:endorsement must start with dcterms:created");
  n = sl_xml_next_element(n);
  if (!sl_xml_is(n, SL_NS_SLREQ, "endorser"))
    FAIL("slreq:endorsement must contain slreq:endorser after dcterms:created");
  if (!check_endorser(n, error))
    return FALSE;
  if ((n = sl_xml_next_element(n)) != NULL) {
    g_autofree char *q = sl_xml_qname(n);
    FAIL("unexpected element %s in slreq:endorsement", q);
  }
  return TRUE;
}

/* Typed optional elements of the lax part of rdf:Description. */
static gboolean
check_typed(const xmlNode *n, GError **error)
{
  static const struct {
    const char *name;
    guint64 max;
  } ints[] = {
      {"serial-number", G_MAXUINT64},
      {"inbound-port", 65535},
      {"outbound-port", 65535},
      {"icmp", 255},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(ints); i++) {
    if (!sl_xml_is(n, SL_NS_SLTERMS, ints[i].name))
      continue;
    g_autofree char *text = sl_xml_text(n);
    g_strstrip(text);
    if (sl_xml_first_element(n) != NULL || !non_negative(text, G_MAXUINT64, NULL))
      FAIL("slterms:%s \"%s\" is not a non-negative integer", ints[i].name, text);
    if (!non_negative(text, ints[i].max, NULL))
      FAIL("slterms:%s %s is out of range (0..%" G_GUINT64_FORMAT ")", ints[i].name, text,
           ints[i].max);
    return TRUE;
  }
  if (sl_xml_is(n, SL_NS_SLTERMS, "location") || sl_xml_is(n, SL_NS_SLTERMS, "hypervisor")) {
    g_autofree char *q = sl_xml_qname(n);
    if (sl_xml_first_element(n) != NULL)
      FAIL("%s cannot have child elements", q);
  }
  return TRUE;
}

static gboolean
check_schema(xmlDoc *doc, GError **error)
{
  xmlNode *root = xmlDocGetRootElement(doc);
  if (!sl_xml_is(root, SL_NS_RDF, "RDF"))
    FAIL("root element must be rdf:RDF");
  g_autofree char *base = sl_xml_attr(root, SL_NS_XML, "base");
  if (base == NULL)
    FAIL("root element must have an xml:base attribute");
  if (!check_no_text(root, error))
    return FALSE;
  xmlNode *desc = sl_xml_first_element(root);
  if (!sl_xml_is(desc, SL_NS_RDF, "Description"))
    FAIL("rdf:RDF must contain one rdf:Description element (and nothing before it)");
  xmlNode *after = sl_xml_next_element(desc);
  if (after != NULL &&
      (!sl_xml_is(after, SL_NS_DSIG, "Signature") || sl_xml_next_element(after) != NULL)) {
    xmlNode *bad = sl_xml_is(after, SL_NS_DSIG, "Signature") ? sl_xml_next_element(after) : after;
    g_autofree char *q = sl_xml_qname(bad);
    FAIL("unexpected element %s in rdf:RDF: only one rdf:Description followed by an optional "
         "Signature is allowed",
         q);
  }
  g_autofree char *about = sl_xml_attr(desc, SL_NS_RDF, "about");
  if (about == NULL || about[0] != '#' || !is_id(about + 1))
    FAIL("rdf:about \"%s\" must be '#' followed by a 27-character identifier", about ? about : "");
  if (!check_no_text(desc, error))
    return FALSE;

  /* The required elements in this order, once each (checksums: 1..n, in a
   * row); other properties may come between them, as in the Marketplace's
   * own fixtures (valid-alternative.xml has dcterms:alternative before
   * slreq:bytes). */
  int state = 0; /* 0: want identifier, 1: bytes, 2: checksum, 3: more checksums or
                    endorsement, 4: done */
  for (xmlNode *n = sl_xml_first_element(desc); n; n = sl_xml_next_element(n)) {
    if (sl_xml_is(n, SL_NS_DCTERMS, "identifier")) {
      if (state != 0)
        FAIL("rdf:Description must have exactly 1 dcterms:identifier element, before "
             "slreq:bytes");
      g_autofree char *id = g_strstrip(sl_xml_text(n));
      if (!is_id(id))
        FAIL("dcterms:identifier \"%s\" is not a 27-character identifier", id);
      state = 1;
    } else if (sl_xml_is(n, SL_NS_SLREQ, "bytes")) {
      if (state != 1)
        FAIL("slreq:bytes must come once, after dcterms:identifier");
      g_autofree char *bytes = sl_xml_text(n);
      if (!non_negative(bytes, G_MAXUINT64, NULL))
        FAIL("slreq:bytes \"%s\" is not a non-negative integer", g_strstrip(bytes));
      state = 2;
    } else if (sl_xml_is(n, SL_NS_SLREQ, "checksum")) {
      if (state != 2 && state != 3)
        FAIL("slreq:checksum elements must come after slreq:bytes and before "
             "slreq:endorsement");
      if (!check_checksum(n, error))
        return FALSE;
      state = 3;
    } else if (sl_xml_is(n, SL_NS_SLREQ, "endorsement")) {
      if (state != 3)
        FAIL(state == 4 ? "rdf:Description must have exactly 1 slreq:endorsement element"
                        : "slreq:endorsement must come after the slreq:checksum elements");
      if (!check_endorsement(n, error))
        return FALSE;
      state = 4;
    } else if (!check_typed(n, error)) {
      return FALSE;
    }
  }
  static const char *const missing[] = {
      "missing dcterms:identifier in rdf:Description", "missing slreq:bytes in rdf:Description",
      "at least one slreq:checksum is required in rdf:Description",
      "missing slreq:endorsement after the checksums"};
  if (state < 4)
    FAIL("%s", missing[state]);
  return TRUE;
}

static gboolean
check_constraints(xmlDoc *doc, GError **error)
{
  xmlNode *root = xmlDocGetRootElement(doc);
  g_autofree char *base = sl_xml_attr(root, SL_NS_XML, "base");
  if (g_strcmp0(base, SL_MARKET_BASE) != 0)
    FAIL("root element must have xml:base attribute with value " SL_MARKET_BASE);
  xmlNode *desc = sl_xml_child(root, SL_NS_RDF, "Description");
  if (desc == NULL)
    FAIL("rdf:RDF must contain one rdf:Description element");
  if (sl_xml_count(desc, SL_NS_DCTERMS, "type") != 1)
    FAIL("description must have exactly 1 dcterms:type element");
  if (sl_xml_first_element(sl_xml_child(desc, SL_NS_DCTERMS, "type")) != NULL)
    FAIL("dcterms:type cannot have child elements");
  guint sha1_count = 0;
  g_autofree char *sha1 = NULL;
  for (xmlNode *n = sl_xml_first_element(desc); n; n = sl_xml_next_element(n)) {
    if (!sl_xml_is(n, SL_NS_SLREQ, "checksum"))
      continue;
    xmlNode *alg = sl_xml_child(n, SL_NS_SLREQ, "algorithm");
    g_autofree char *a = alg ? sl_xml_text(alg) : NULL;
    if (g_strcmp0(a, "SHA-1") != 0)
      continue;
    sha1_count++;
    xmlNode *val = sl_xml_child(n, SL_NS_SLREQ, "value");
    if (sha1 == NULL)
      sha1 = val ? g_strstrip(sl_xml_text(val)) : g_strdup("");
  }
  if (sha1_count != 1)
    FAIL("description must have exactly 1 slterms:checksum element using SHA-1 algorithm");
  static const char *const at_most_one[] = {"serial-number", "version",   "deprecated", "os",
                                            "os-arch",       "os-version"};
  for (gsize i = 0; i < G_N_ELEMENTS(at_most_one); i++)
    if (sl_xml_count(desc, SL_NS_SLTERMS, at_most_one[i]) > 1)
      FAIL("description must have at most 1 slterms:%s element", at_most_one[i]);

  g_autofree char *about = sl_xml_attr(desc, SL_NS_RDF, "about");
  xmlNode *idn = sl_xml_child(desc, SL_NS_DCTERMS, "identifier");
  g_autofree char *id = idn ? sl_xml_text(idn) : g_strdup("");
  g_autofree char *hash_id = g_strconcat("#", id, NULL);
  if (g_strcmp0(about, hash_id) != 0)
    FAIL("rdf:about attribute (%s) and dcterms:identifier (%s) are not consistent",
         about ? about : "", id);
  guint8 from_id[SL_SHA1_LEN], from_sum[SL_SHA1_LEN];
  g_autoptr(GError) local = NULL;
  if (!sl_identifier_to_sha1(id, from_id, &local))
    FAIL("dcterms:identifier (%s): %s", id, local->message);
  if (!sl_sha1_from_hex(sha1, from_sum, NULL))
    FAIL("%s is not a valid SHA-1 checksum", sha1);
  if (memcmp(from_id, from_sum, SL_SHA1_LEN) != 0) {
    char hex[SL_SHA1_HEX_LEN + 1];
    sl_sha1_to_hex(from_id, hex);
    FAIL("checksum from identifier (%s) and SHA-1 checksum (%s) are not consistent", hex, sha1);
  }

  xmlNode *valid = sl_xml_child(desc, SL_NS_DCTERMS, "valid");
  g_autofree char *v = valid ? sl_xml_text(valid) : NULL;
  if (v && *v && !sl_market_date_valid(v))
    FAIL("dcterms:valid value (%s) is not a valid date", v);
  xmlNode *endorsement = sl_xml_child(desc, SL_NS_SLREQ, "endorsement");
  xmlNode *created = sl_xml_child(endorsement, SL_NS_DCTERMS, "created");
  g_autofree char *c = created ? sl_xml_text(created) : NULL;
  if (c && *c && !sl_market_date_valid(c))
    FAIL("dcterms:created value (%s) is not a valid date", c);
  return TRUE;
}

SlMarketEntry *
sl_market_validate(const char *data, gsize len, SlMarketChecks checks, SlMarketSigner **signer,
                   GError **error)
{
  if (signer)
    *signer = NULL;
  g_autoptr(xmlDoc) doc = sl_market_xml_parse(data, len, error);
  if (doc == NULL)
    return NULL;
  g_autoptr(SlMarketSigner) who = NULL;
  gboolean has_sig = sl_xml_find(xmlDocGetRootElement(doc), SL_NS_DSIG, "Signature") != NULL;
  if ((checks & SL_MARKET_CHECK_SIGNATURE) ||
      ((checks & SL_MARKET_CHECK_SIGNATURE_IF_PRESENT) && has_sig)) {
    who = sl_market_verify(data, len, error);
    if (who == NULL)
      return NULL;
  }
  if ((checks & SL_MARKET_CHECK_SCHEMA) && !check_schema(doc, error))
    return NULL;
  if ((checks & SL_MARKET_CHECK_CONSTRAINTS) && !check_constraints(doc, error))
    return NULL;
  if ((checks & SL_MARKET_CHECK_RDF) && !sl_market_check_rdf(doc, error))
    return NULL;
  SlMarketEntry *e = sl_market_entry_from_doc(doc, error);
  if (e == NULL)
    return NULL;
  e->xml = g_bytes_new(data, len);
  if (signer)
    *signer = g_steal_pointer(&who);
  return e;
}
