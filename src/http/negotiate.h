/* negotiate.h - content negotiation: which of the media types a resource can
 * send fits a request's Accept header (RFC 9110 §12.5.1).
 *
 * Contract of sl_http_negotiate():
 * - offered lists the types the resource can answer with ("type/subtype",
 *   no parameters), in the server's order of preference, at most
 *   SL_HTTP_NEGOTIATE_MAX_OFFERED of them.
 * - Each offered type gets the q of the most specific Accept range that
 *   matches it (its own type/subtype, then "type/<star>", then
 *   "<star>/<star>"; the first of equally specific ranges counts). Types
 *   and subtypes compare without case; range parameters other than q are
 *   ignored.
 * - The offered type with the highest q above 0 wins; ties go to the one
 *   offered first (server order, not the client's order).
 * - No Accept, an empty one, or one without a single well-formed range picks
 *   offered[0] (q 1, not named). A malformed range (no '/', "<star>/html", q not
 *   a qvalue of 0..1 with at most three decimals, a broken parameter) is
 *   skipped; the rest still counts.
 * - When well-formed ranges exist but none accepts an offered type (all
 *   unknown, or q=0), it returns FALSE and out->index is -1: answer 406
 *   (SL_ERROR_NOT_ACCEPTABLE).
 * Never allocates; the header is read as is, any length, any bytes.
 */
#pragma once
#include <glib.h>

#define SL_HTTP_NEGOTIATE_MAX_OFFERED 32

typedef struct {
  int index;      /* into offered; -1 when nothing offered is acceptable */
  double q;       /* the chosen type's quality (0 when index is -1) */
  gboolean named; /* matched by its own type/subtype in Accept, not by a wildcard */
} SlHttpNegotiation;

gboolean sl_http_negotiate(const char *accept, const char *const *offered, gsize n_offered,
                           SlHttpNegotiation *out);
