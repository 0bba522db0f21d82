/* xml.c - small libxml2 helpers for the metadata documents. */
#include <libxml/parser.h>
#include <string.h>

#include "market/xml.h"

#include "market/init.h"
#include "util/error.h"

xmlDoc *
sl_market_xml_parse(const char *data, gsize len, GError **error)
{
  sl_market_init();
  if (len > G_MAXINT) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "metadata document too large");
    return NULL;
  }
  xmlParserCtxt *ctxt = xmlNewParserCtxt();
  if (ctxt == NULL) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "out of memory");
    return NULL;
  }
  xmlDoc *doc = xmlCtxtReadMemory(ctxt, data, (int)len, "metadata.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == NULL) {
    const xmlError *e = xmlCtxtGetLastError(ctxt);
    g_autofree char *msg = g_strdup(e && e->message ? e->message : "unknown error");
    g_strchomp(msg);
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "malformed XML (line %d): %s", e ? e->line : 0,
                msg);
    xmlFreeParserCtxt(ctxt);
    return NULL;
  }
  xmlFreeParserCtxt(ctxt);
  if (doc->intSubset != NULL || doc->extSubset != NULL) {
    xmlFreeDoc(doc);
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "DOCTYPE not allowed in metadata");
    return NULL;
  }
  return doc;
}

char *
sl_market_xml_dump(xmlDoc *doc, gsize *len)
{
  xmlChar *mem = NULL;
  int size = 0;
  xmlDocDumpMemoryEnc(doc, &mem, &size, "UTF-8");
  char *out = g_strndup((const char *)mem, (gsize)size);
  xmlFree(mem);
  if (len)
    *len = (gsize)size;
  return out;
}

gboolean
sl_xml_is(const xmlNode *node, const char *ns, const char *name)
{
  if (node == NULL || node->type != XML_ELEMENT_NODE)
    return FALSE;
  if (strcmp((const char *)node->name, name) != 0)
    return FALSE;
  if (ns == NULL)
    return node->ns == NULL;
  return node->ns != NULL && node->ns->href != NULL &&
         strcmp((const char *)node->ns->href, ns) == 0;
}

xmlNode *
sl_xml_next_element(const xmlNode *node)
{
  for (xmlNode *n = node ? node->next : NULL; n; n = n->next)
    if (n->type == XML_ELEMENT_NODE)
      return n;
  return NULL;
}

xmlNode *
sl_xml_first_element(const xmlNode *parent)
{
  for (xmlNode *n = parent ? parent->children : NULL; n; n = n->next)
    if (n->type == XML_ELEMENT_NODE)
      return n;
  return NULL;
}

xmlNode *
sl_xml_child(const xmlNode *parent, const char *ns, const char *name)
{
  for (xmlNode *n = sl_xml_first_element(parent); n; n = sl_xml_next_element(n))
    if (sl_xml_is(n, ns, name))
      return n;
  return NULL;
}

guint
sl_xml_count(const xmlNode *parent, const char *ns, const char *name)
{
  guint count = 0;
  for (xmlNode *n = sl_xml_first_element(parent); n; n = sl_xml_next_element(n))
    if (sl_xml_is(n, ns, name))
      count++;
  return count;
}

xmlNode *
sl_xml_find(xmlNode *node, const char *ns, const char *name)
{
  for (xmlNode *n = node; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE)
      continue;
    if (sl_xml_is(n, ns, name))
      return n;
    xmlNode *found = sl_xml_find(n->children, ns, name);
    if (found)
      return found;
  }
  return NULL;
}

char *
sl_xml_text(const xmlNode *node)
{
  xmlChar *text = xmlNodeGetContent(node);
  char *out = g_strdup(text ? (const char *)text : "");
  xmlFree(text);
  return out;
}

char *
sl_xml_attr(const xmlNode *node, const char *ns, const char *name)
{
  xmlChar *v = ns ? xmlGetNsProp(node, (const xmlChar *)name, (const xmlChar *)ns)
                  : xmlGetNoNsProp(node, (const xmlChar *)name);
  char *out = v ? g_strdup((const char *)v) : NULL;
  xmlFree(v);
  return out;
}

char *
sl_xml_qname(const xmlNode *node)
{
  static const struct {
    const char *ns, *prefix;
  } known[] = {
      {SL_NS_RDF, "rdf"},         {SL_NS_DCTERMS, "dcterms"}, {SL_NS_SLREQ, "slreq"},
      {SL_NS_SLTERMS, "slterms"}, {SL_NS_DSIG, "ds"},
  };
  const char *href = node->ns && node->ns->href ? (const char *)node->ns->href : NULL;
  if (href == NULL)
    return g_strdup((const char *)node->name);
  for (gsize i = 0; i < G_N_ELEMENTS(known); i++)
    if (strcmp(known[i].ns, href) == 0)
      return g_strdup_printf("%s:%s", known[i].prefix, node->name);
  if (node->ns->prefix)
    return g_strdup_printf("%s:%s", node->ns->prefix, node->name);
  return g_strdup_printf("{%s}%s", href, node->name);
}

gboolean
sl_xml_has_text(const xmlNode *node)
{
  for (xmlNode *n = node->children; n; n = n->next) {
    if (n->type != XML_TEXT_NODE && n->type != XML_CDATA_SECTION_NODE)
      continue;
    for (const xmlChar *p = n->content; p && *p; p++)
      if (!g_ascii_isspace(*p))
        return TRUE;
  }
  return FALSE;
}

static gboolean
digits(const char *p, int n, int *out)
{
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!g_ascii_isdigit(p[i]))
      return FALSE;
    v = v * 10 + (p[i] - '0');
  }
  *out = v;
  return TRUE;
}

gboolean
sl_market_date_valid(const char *d)
{
  int y, mo, da, h, mi, s;
  if (d == NULL || strlen(d) != 20 || d[4] != '-' || d[7] != '-' || d[10] != 'T' || d[13] != ':' ||
      d[16] != ':' || d[19] != 'Z')
    return FALSE;
  if (!digits(d, 4, &y) || !digits(d + 5, 2, &mo) || !digits(d + 8, 2, &da) ||
      !digits(d + 11, 2, &h) || !digits(d + 14, 2, &mi) || !digits(d + 17, 2, &s))
    return FALSE;
  if (y < 1 || mo < 1 || mo > 12 || da < 1 || h > 23 || mi > 59 || s > 59)
    return FALSE;
  return da <= g_date_get_days_in_month((GDateMonth)mo, (GDateYear)y);
}

static gboolean
only(const char *s, const char *extra)
{
  if (s == NULL || *s == '\0')
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isalnum(*p) && strchr(extra, *p) == NULL)
      return FALSE;
  return TRUE;
}

gboolean
sl_market_email_valid(const char *s)
{
  const char *at = s ? strchr(s, '@') : NULL;
  if (at == NULL)
    return FALSE;
  g_autofree char *local = g_strndup(s, (gsize)(at - s));
  return only(local, "._%+-") && only(at + 1, ".-");
}
