/* xml.h - libxml2 helpers for the metadata documents (xml.c): the
 * namespaces, a safe parser, element and attribute look-ups, and the two
 * lexical checks (e-mail, date) the rules share. */
#pragma once
#include <glib.h>
#include <libxml/tree.h>

#define SL_NS_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define SL_NS_DCTERMS "http://purl.org/dc/terms/"
#define SL_NS_SLREQ "http://mp.stratuslab.eu/slreq#"
#define SL_NS_SLTERMS "http://mp.stratuslab.eu/slterms#"
#define SL_NS_DSIG "http://www.w3.org/2000/09/xmldsig#"
#define SL_NS_XML "http://www.w3.org/XML/1998/namespace"
#define SL_MARKET_BASE "http://mp.stratuslab.eu/"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

/* Parses an XML document (no network, no entity expansion, no DTD allowed;
 * whitespace kept so that signatures still verify). */
xmlDoc *sl_market_xml_parse(const char *data, gsize len, GError **error);
/* The document serialised as UTF-8 with an XML declaration. */
char *sl_market_xml_dump(xmlDoc *doc, gsize *len);

/* TRUE when node is an element named ns:name. */
gboolean sl_xml_is(const xmlNode *node, const char *ns, const char *name);
/* First element child (or following sibling) of node, skipping text/comments. */
xmlNode *sl_xml_first_element(const xmlNode *parent);
xmlNode *sl_xml_next_element(const xmlNode *node);
/* First child element ns:name of parent, or NULL. */
xmlNode *sl_xml_child(const xmlNode *parent, const char *ns, const char *name);
/* Number of child elements ns:name. */
guint sl_xml_count(const xmlNode *parent, const char *ns, const char *name);
/* First element ns:name in document order below node (inclusive), or NULL. */
xmlNode *sl_xml_find(xmlNode *node, const char *ns, const char *name);
/* Text content (newly allocated, never NULL for a non-NULL node). */
char *sl_xml_text(const xmlNode *node);
/* Attribute ns:name (ns NULL: no namespace), newly allocated or NULL. */
char *sl_xml_attr(const xmlNode *node, const char *ns, const char *name);
/* "prefix:name" for messages, e.g. "slterms:os" (known prefixes) or "{ns}name". */
char *sl_xml_qname(const xmlNode *node);
/* TRUE when the node has non-whitespace text children. */
gboolean sl_xml_has_text(const xmlNode *node);

/* [A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+ (the schema pattern of slreq:email). */
gboolean sl_market_email_valid(const char *email);

/* Strict date yyyy-MM-ddTHH:mm:ssZ with real calendar values. */
gboolean sl_market_date_valid(const char *date);
