/* rdf.h - the RDF/XML grammar check of a metadata document (rdf.c): W3C
 * RDF/XML syntax over the libxml2 tree, Signature elements ignored, no
 * triples built (the 13.05 code parsed the entry with Sesame Rio).
 * FALSE with an SL_ERROR_INVALID "invalid RDF/XML: ..." message. */
#pragma once
#include <glib.h>
#include <libxml/tree.h>

gboolean sl_market_check_rdf(xmlDoc *doc, GError **error);
