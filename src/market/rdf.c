/* rdf.c - the document must be valid RDF/XML (the 13.05 code parsed it with
 * Sesame Rio). A grammar check of RDF/XML (W3C RDF/XML syntax, section 7)
 * over the libxml2 tree; Signature elements are ignored, as Java strips them
 * before parsing. Only the structure is checked, no triples are built. */
#include <string.h>

#include "market/rdf.h"

#include "market/xml.h"
#include "util/error.h"

#define FAIL(...)                                                                                  \
  do {                                                                                             \
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "invalid RDF/XML: " __VA_ARGS__);               \
    return FALSE;                                                                                  \
  } while (0)

static gboolean node_element(const xmlNode *node, GError **error);
static gboolean property_element(const xmlNode *node, GError **error);

static gboolean
is_rdf(const char *href)
{
  return href && strcmp(href, SL_NS_RDF) == 0;
}

static const char *
ns_of(const xmlNode *n)
{
  return n->ns && n->ns->href ? (const char *)n->ns->href : NULL;
}

static const char *
attr_ns(const xmlAttr *a)
{
  return a->ns && a->ns->href ? (const char *)a->ns->href : NULL;
}

static gboolean
skipped(const xmlNode *n)
{
  return sl_xml_is(n, SL_NS_DSIG, "Signature");
}

/* rdf names that can be neither node nor property elements (coreSyntaxTerms
 * and the old terms); rdf:Description and rdf:li are handled by the callers. */
static gboolean
core_term(const char *name)
{
  static const char *const terms[] = {
      "RDF",    "ID",       "about", "parseType", "resource",
      "nodeID", "datatype", "bagID", "aboutEach", "aboutEachPrefix"};
  for (gsize i = 0; i < G_N_ELEMENTS(terms); i++)
    if (strcmp(name, terms[i]) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
check_element_name(const xmlNode *n, gboolean property, GError **error)
{
  g_autofree char *q = sl_xml_qname(n);
  if (ns_of(n) == NULL)
    FAIL("element %s has no namespace", q);
  if (is_rdf(ns_of(n)) && (core_term((const char *)n->name) ||
                           (property && strcmp((const char *)n->name, "Description") == 0) ||
                           (!property && strcmp((const char *)n->name, "li") == 0)))
    FAIL("%s is not allowed as a %s element", q, property ? "property" : "node");
  return TRUE;
}

static gboolean
node_element(const xmlNode *node, GError **error)
{
  if (!check_element_name(node, FALSE, error))
    return FALSE;
  g_autofree char *q = sl_xml_qname(node);
  int ids = 0;
  for (const xmlAttr *a = node->properties; a; a = a->next) {
    const char *ns = attr_ns(a);
    const char *name = (const char *)a->name;
    if (ns == NULL)
      FAIL("attribute %s of %s has no namespace", name, q);
    if (is_rdf(ns)) {
      if (strcmp(name, "about") == 0 || strcmp(name, "ID") == 0 || strcmp(name, "nodeID") == 0)
        ids++;
      else if (core_term(name) || strcmp(name, "li") == 0 || strcmp(name, "Description") == 0)
        FAIL("attribute rdf:%s is not allowed on node element %s", name, q);
    }
  }
  if (ids > 1)
    FAIL("node element %s has more than one of rdf:about, rdf:ID, rdf:nodeID", q);
  if (sl_xml_has_text(node))
    FAIL("node element %s cannot contain text", q);
  for (xmlNode *c = sl_xml_first_element(node); c; c = sl_xml_next_element(c)) {
    if (skipped(c))
      continue;
    if (!property_element(c, error))
      return FALSE;
  }
  return TRUE;
}

static gboolean
property_element(const xmlNode *node, GError **error)
{
  if (!check_element_name(node, TRUE, error))
    return FALSE;
  g_autofree char *q = sl_xml_qname(node);
  const char *parse_type = NULL;
  gboolean resource = FALSE, node_id = FALSE, datatype = FALSE, prop_attrs = FALSE;
  for (const xmlAttr *a = node->properties; a; a = a->next) {
    const char *ns = attr_ns(a);
    const char *name = (const char *)a->name;
    if (ns == NULL)
      FAIL("attribute %s of %s has no namespace", name, q);
    if (strcmp(ns, SL_NS_XML) == 0)
      continue;
    if (!is_rdf(ns)) {
      prop_attrs = TRUE;
      continue;
    }
    if (strcmp(name, "parseType") == 0)
      parse_type = (const char *)(a->children ? a->children->content : (const xmlChar *)"");
    else if (strcmp(name, "resource") == 0)
      resource = TRUE;
    else if (strcmp(name, "nodeID") == 0)
      node_id = TRUE;
    else if (strcmp(name, "datatype") == 0)
      datatype = TRUE;
    else if (strcmp(name, "ID") == 0)
      continue;
    else if (core_term(name) || strcmp(name, "li") == 0 || strcmp(name, "Description") == 0)
      FAIL("attribute rdf:%s is not allowed on property element %s", name, q);
    else
      prop_attrs = TRUE; /* e.g. rdf:type as a property attribute */
  }
  xmlNode *first = sl_xml_first_element(node);
  while (first && skipped(first))
    first = sl_xml_next_element(first);

  if (parse_type != NULL) {
    if (resource || node_id || datatype || prop_attrs)
      FAIL("property element %s with rdf:parseType cannot have other property attributes", q);
    if (strcmp(parse_type, "Resource") == 0) {
      if (sl_xml_has_text(node))
        FAIL("property element %s with rdf:parseType=\"Resource\" cannot contain text", q);
      for (xmlNode *c = first; c; c = sl_xml_next_element(c))
        if (!skipped(c) && !property_element(c, error))
          return FALSE;
    } else if (strcmp(parse_type, "Collection") == 0) {
      if (sl_xml_has_text(node))
        FAIL("property element %s with rdf:parseType=\"Collection\" cannot contain text", q);
      for (xmlNode *c = first; c; c = sl_xml_next_element(c))
        if (!skipped(c) && !node_element(c, error))
          return FALSE;
    }
    return TRUE; /* Literal and any other value: XML literal */
  }
  if (first != NULL) { /* resourcePropertyElt: exactly one node element */
    if (resource || node_id || datatype || prop_attrs)
      FAIL("property element %s containing a node element cannot have rdf:resource, "
           "rdf:nodeID, rdf:datatype or property attributes",
           q);
    if (sl_xml_has_text(node))
      FAIL("property element %s mixes text and elements", q);
    xmlNode *second = sl_xml_next_element(first);
    while (second && skipped(second))
      second = sl_xml_next_element(second);
    if (second != NULL)
      FAIL("property element %s must contain exactly one node element (found %s too); use "
           "rdf:parseType=\"Resource\" for several properties",
           q, (const char *)second->name);
    return node_element(first, error);
  }
  if (sl_xml_has_text(node)) { /* literalPropertyElt */
    if (resource || node_id || prop_attrs)
      FAIL("property element %s with a text value cannot have rdf:resource, rdf:nodeID or "
           "property attributes",
           q);
    return TRUE;
  }
  /* emptyPropertyElt */
  if (resource && node_id)
    FAIL("property element %s cannot have both rdf:resource and rdf:nodeID", q);
  if (datatype && (resource || node_id || prop_attrs))
    FAIL("empty property element %s with rdf:datatype cannot have other attributes", q);
  return TRUE;
}

gboolean
sl_market_check_rdf(xmlDoc *doc, GError **error)
{
  xmlNode *root = xmlDocGetRootElement(doc);
  if (!sl_xml_is(root, SL_NS_RDF, "RDF"))
    FAIL("root element must be rdf:RDF");
  if (sl_xml_has_text(root))
    FAIL("rdf:RDF cannot contain text");
  for (xmlNode *n = sl_xml_first_element(root); n; n = sl_xml_next_element(n))
    if (!skipped(n) && !node_element(n, error))
      return FALSE;
  return TRUE;
}
