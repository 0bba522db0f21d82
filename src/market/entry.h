/* entry.h - one StratusLab Marketplace metadata entry (protocols.md §5.2).
 *
 * An entry is an RDF/XML document: rdf:RDF (xml:base="http://mp.stratuslab.eu/")
 * holding one rdf:Description rdf:about="#<identifier>" and, once signed, an
 * enveloped XML-DSig Signature. SlMarketEntry is the parsed, read-only view of
 * such a document; the document itself is kept byte for byte in `xml` (a
 * signed entry must be stored and served unchanged).
 *
 * Parsing alone checks nothing but well-formedness; sl_market_validate()
 * (validate.h) checks the rules and returns the same structure.
 * Errors: SL_ERROR domain, SL_ERROR_INVALID.
 */
#pragma once
#include <glib.h>
#include <libxml/tree.h>

typedef struct {
  char *algorithm; /* "MD5", "SHA-1", "SHA-256", "SHA-512" (as written) */
  char *value;     /* hex digits as written */
} SlMarketChecksum;

typedef struct {
  char *identifier;     /* dcterms:identifier (27 characters when valid) */
  char *about;          /* rdf:about of the rdf:Description, "#<identifier>" */
  char *sha1;           /* the SHA-1 checksum normalised to 40 lower-case hex, or NULL */
  guint64 bytes;        /* slreq:bytes: size of the uncompressed image */
  GPtrArray *checksums; /* SlMarketChecksum *, document order */

  /* Endorsement (NULL when the endorsement is empty: unsigned draft). */
  char *created; /* dcterms:created of the endorsement: yyyy-MM-ddTHH:mm:ssZ */
  char *email;   /* slreq:endorser/slreq:email */
  char *subject; /* slreq:subject, RFC 2253 */
  char *issuer;  /* first slreq:issuer, RFC 2253 */

  /* Descriptive elements of rdf:Description (first occurrence; NULL if absent). */
  char *type; /* dcterms:type (base, ...) */
  char *kind; /* slterms:kind (machine | disk) */
  char *os, *os_version, *os_arch;
  char *version;       /* slterms:version (image version) */
  char *format;        /* dcterms:format (raw | qcow2) */
  char *compression;   /* dcterms:compression (gz | bz2 | xz | "") */
  char *creator;       /* dcterms:creator */
  char *image_created; /* dcterms:created of the description (build time) */
  char *valid;         /* dcterms:valid: end of validity, yyyy-MM-ddTHH:mm:ssZ */
  char *title, *alternative, *description, *publisher;
  char *hypervisor, *disks_bus, *serial_number;
  GPtrArray *locations;  /* char *: slterms:location, document order */
  GArray *inbound_ports; /* guint: slterms:inbound-port */
  GArray *outbound_ports;
  GArray *icmp;        /* guint: slterms:icmp */
  gboolean deprecated; /* slterms:deprecated present */
  char *deprecated_reason;

  gboolean has_signature; /* a dsig Signature element is present */
  GBytes *xml;            /* the document exactly as parsed */
} SlMarketEntry;

SlMarketEntry *sl_market_entry_new(void);
void sl_market_entry_free(SlMarketEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlMarketEntry, sl_market_entry_free)

/* Parses a document and extracts the fields; no rule is checked (use
 * sl_market_validate for that). Fails on malformed XML, a DOCTYPE, or a root
 * that is not rdf:RDF with an rdf:Description. */
SlMarketEntry *sl_market_entry_parse(const char *data, gsize len, GError **error);

/* Appends a checksum (copies). */
void sl_market_entry_add_checksum(SlMarketEntry *entry, const char *algorithm, const char *value);
/* Value of the checksum with that algorithm, or NULL. */
const char *sl_market_entry_checksum(const SlMarketEntry *entry, const char *algorithm);

/* Writes an unsigned document from the fields, in the element order of the
 * 13.05 client's manifest template (protocols.md §5.2), with an empty
 * endorsement. Absent (NULL) optional fields are left out, except those the
 * 13.05 Python client requires, written empty. */
char *sl_market_entry_to_xml(const SlMarketEntry *entry);

/* Listing status at a given time (protocols.md §5.1): DEPRECATED when
 * slterms:deprecated is present, else EXPIRED when dcterms:valid <= now, else
 * VALID (also when there is no dcterms:valid: no end of validity). */
typedef enum {
  SL_MARKET_STATUS_VALID,
  SL_MARKET_STATUS_EXPIRED,
  SL_MARKET_STATUS_DEPRECATED,
} SlMarketStatus;
SlMarketStatus sl_market_entry_status(const SlMarketEntry *entry, GDateTime *now);
const char *sl_market_status_name(SlMarketStatus status); /* "valid", "expired", "deprecated" */

/* Orders two entries by endorsement dcterms:created (NULL first). The
 * Marketplace refuses an upload whose created is before the latest stored
 * one for the same identifier and e-mail ("older than latest entry"):
 * refuse when sl_market_entry_compare_created(new, latest) < 0. */
int sl_market_entry_compare_created(const SlMarketEntry *a, const SlMarketEntry *b);
/* TRUE when a was endorsed strictly after b. */
gboolean sl_market_entry_is_newer(const SlMarketEntry *a, const SlMarketEntry *b);

/* "<identifier>/<email>/<created>": the storage path and URL tail of a signed
 * entry (protocols.md §5.1); NULL when the endorsement is not filled. */
char *sl_market_entry_key(const SlMarketEntry *entry);

/* "yyyy-MM-ddTHH:mm:ssZ" of a time (converted to UTC). */
char *sl_market_format_date(GDateTime *time);
/* Parses such a date (strict), or NULL. */
GDateTime *sl_market_parse_date(const char *date);

/* Extracts the entry fields of a parsed document (no rule checked besides
 * the presence of rdf:RDF/rdf:Description); used by validate.c. */
SlMarketEntry *sl_market_entry_from_doc(xmlDoc *doc, GError **error);
