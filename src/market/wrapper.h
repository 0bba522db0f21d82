/* wrapper.h - the answer of GET <marketplace>/metadata/<id> with Accept
 * application/xml (protocols.md §5.1): `<metadata>` + signed entries (their
 * XML declarations removed) + `</metadata>`, or one bare entry. */
#pragma once
#include <glib.h>

/* The rdf:RDF documents of such an answer (GBytes*), each exactly as served
 * (from "<rdf:RDF" to the matching "</rdf:RDF>"), in order. */
GPtrArray *sl_market_split_entries(const char *xml, gsize len);
