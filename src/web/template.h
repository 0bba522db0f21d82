/* template.h - the portal's page templates: a small subset of Mustache over
 * jansson values, HTML-escaped by default.
 *
 *   {{name}}        the value, HTML-escaped (& < > " ' become entities);
 *                   strings, integers, reals; true/false/null/absent give ""
 *   {{{name}}}      the value unescaped (only for fragments this program
 *                   rendered itself, e.g. a page body inside the layout)
 *   {{#name}}…{{/name}}  an array: the body once per element (the element is
 *                   the innermost context); an object: once with it as
 *                   context; any other true value (true, non-empty string,
 *                   non-zero number): once; else not at all
 *   {{^name}}…{{/name}}  the body once when {{#name}} would not render it
 *   {{! comment}}   nothing
 *   {{.}}           the innermost context itself (a string in an array)
 * Names are looked up from the innermost context outwards; "a.b" looks up
 * a, then b inside it.
 *
 * Errors: SL_ERROR_INTERNAL for a malformed template (unclosed tag or
 * section, a close without an open) — templates are ours; the unit test
 * renders every one of them.
 */
#pragma once
#include <glib.h>
#include <jansson.h>

/* Appends the rendering of tmpl (len bytes, -1 = NUL-terminated) with ctx
 * (borrowed) to out. */
gboolean sl_web_template_render(const char *tmpl, gssize len, json_t *ctx, GString *out,
                                GError **error);

/* The template NAME ("layout.html") compiled into the program (GResource
 * /eu/stratuslab/web/templates/NAME); NULL with SL_ERROR_NOT_FOUND. */
GBytes *sl_web_template_get(const char *name, GError **error);
