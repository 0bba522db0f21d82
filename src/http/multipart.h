/* multipart.h - a streaming multipart/form-data parser (RFC 7578, RFC 2046 §5.1).
 *
 * Contract:
 * - sl_http_multipart_new() takes the request's Content-Type; it must be
 *   multipart/form-data (else SL_ERROR_UNSUPPORTED) with a boundary parameter
 *   of 1..70 characters, token or quoted (else SL_ERROR_INVALID).
 * - The body is fed in pieces of any size (sl_http_multipart_feed); the
 *   parser holds at most one part's headers plus a boundary's length of
 *   content, never the whole body, so an upload can go straight to a file.
 * - For each part: begin() once its headers are read, data() zero or more
 *   times with consecutive pieces of its content, end() when its closing
 *   boundary is seen. Every callback may be NULL; one returning FALSE stops
 *   the parse with its error (or "stopped by the receiver").
 * - Each part needs a Content-Disposition of form-data with a name;
 *   filename is optional, Content-Type optional (NULL: text/plain). Quoted
 *   values end at the next '"' (browsers escape '"' as %22, not with '\').
 *   Other part headers are ignored.
 * - Hard limits: at most max_parts parts and max_header_bytes of headers per
 *   part (defaults below, sl_http_multipart_set_limits); more is
 *   SL_ERROR_TOO_LARGE. The body's total size is the server's limit.
 * - Malformed input (no CRLF after a boundary, a header line without ':', a
 *   folded or NUL-holding header, a part without a name) is SL_ERROR_INVALID
 *   with a one-line message starting "invalid multipart body: ".
 * - sl_http_multipart_finish() fails (SL_ERROR_INVALID) unless the closing
 *   "--boundary--" was seen; a part cut short gets no end(). Preamble and
 *   epilogue are ignored. After an error the parser takes no more input.
 */
#pragma once
#include <glib.h>

#define SL_HTTP_MULTIPART_MAX_PARTS 64
#define SL_HTTP_MULTIPART_MAX_HEADER_BYTES (16 * 1024)

typedef struct {
  const char *name;         /* never NULL */
  const char *filename;     /* NULL when the part is not a file */
  const char *content_type; /* NULL when absent */
  guint index;              /* 0 for the first part */
} SlHttpPart;

typedef struct {
  gboolean (*begin)(const SlHttpPart *part, gpointer data, GError **error);
  gboolean (*data)(const SlHttpPart *part, const char *bytes, gsize len, gpointer data,
                   GError **error);
  gboolean (*end)(const SlHttpPart *part, gpointer data, GError **error);
} SlHttpMultipartCallbacks;

typedef struct SlHttpMultipart SlHttpMultipart;

/* callbacks is copied; data is passed to every callback. NULL on error. */
SlHttpMultipart *sl_http_multipart_new(const char *content_type,
                                       const SlHttpMultipartCallbacks *callbacks, gpointer data,
                                       GError **error);
void sl_http_multipart_set_limits(SlHttpMultipart *mp, guint max_parts, gsize max_header_bytes);
gboolean sl_http_multipart_feed(SlHttpMultipart *mp, const char *bytes, gsize len, GError **error);
gboolean sl_http_multipart_finish(SlHttpMultipart *mp, GError **error);
void sl_http_multipart_free(SlHttpMultipart *mp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlHttpMultipart, sl_http_multipart_free)

/* The parts seen so far (for a caller that wants a count). */
guint sl_http_multipart_get_parts(const SlHttpMultipart *mp);
