/* sign.c - enveloped XML-DSig signatures of metadata entries with xmlsec1
 * (protocols.md §5.4): endorsement filling, signing and verification. */
#include <libxml/parser.h>
#include <string.h>
#include <xmlsec/base64.h>
#include <xmlsec/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/openssl/x509.h>
#include <xmlsec/errors.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include "market/entry.h"
#include "market/init.h"
#include "market/sign.h"
#include "market/x509.h"
#include "market/xml.h"
#include "util/error.h"

/* --- endorsement ------------------------------------------------------ */

static void
collect(xmlNode *node, const char *ns, const char *name, GPtrArray *out)
{
  for (xmlNode *n = node; n; n = n->next) {
    if (n->type != XML_ELEMENT_NODE)
      continue;
    if (sl_xml_is(n, ns, name))
      g_ptr_array_add(out, n);
    else
      collect(n->children, ns, name, out);
  }
}

static void
strip_signatures(xmlDoc *doc)
{
  g_autoptr(GPtrArray) sigs = g_ptr_array_new();
  collect(xmlDocGetRootElement(doc), SL_NS_DSIG, "Signature", sigs);
  for (guint i = 0; i < sigs->len; i++) {
    xmlNode *n = g_ptr_array_index(sigs, i);
    xmlUnlinkNode(n);
    xmlFreeNode(n);
  }
}

/* Removes all but the last slreq:endorsement and empties that one. */
static void
clear_endorsement(xmlDoc *doc)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new();
  collect(xmlDocGetRootElement(doc), SL_NS_SLREQ, "endorsement", all);
  for (guint i = 0; i + 1 < all->len; i++) {
    xmlNode *n = g_ptr_array_index(all, i);
    xmlUnlinkNode(n);
    xmlFreeNode(n);
  }
  if (all->len == 0)
    return;
  xmlNode *last = g_ptr_array_index(all, all->len - 1);
  while (last->children) {
    xmlNode *c = last->children;
    xmlUnlinkNode(c);
    xmlFreeNode(c);
  }
}

/* <name xmlns="ns">text</name>, the form Java's DOM writes. */
static xmlNode *
new_child(xmlNode *parent, const char *ns, const char *name, const char *text)
{
  xmlNode *n = xmlNewDocNode(parent->doc, NULL, (const xmlChar *)name, NULL);
  xmlAddChild(parent, n);
  if (parent->ns == NULL || g_strcmp0((const char *)parent->ns->href, ns) != 0 ||
      parent->ns->prefix != NULL)
    xmlSetNs(n, xmlNewNs(n, (const xmlChar *)ns, NULL));
  else
    xmlSetNs(n, parent->ns);
  if (text)
    xmlNodeAddContent(n, (const xmlChar *)text);
  return n;
}

static gboolean
fill_endorsement(xmlDoc *doc, const SlMarketSigner *who, const char *default_email, GDateTime *now,
                 GError **error)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new();
  collect(xmlDocGetRootElement(doc), SL_NS_SLREQ, "endorsement", all);
  if (all->len != 1) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "document must contain exactly 1 slreq:endorsement element");
    return FALSE;
  }
  const char *email = who->email ? who->email : default_email;
  if (email == NULL || *email == '\0') {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "cannot generate slreq:endorsement; email address not in cert or not provided");
    return FALSE;
  }
  if (!sl_market_email_valid(email)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "invalid email address: %s", email);
    return FALSE;
  }
  xmlNode *endorsement = g_ptr_array_index(all, 0);
  if (endorsement->children != NULL) /* a filled endorsement is kept (lower-level rule) */
    return TRUE;
  g_autoptr(GDateTime) current = now ? g_date_time_ref(now) : g_date_time_new_now_utc();
  g_autofree char *created = sl_market_format_date(current);
  new_child(endorsement, SL_NS_DCTERMS, "created", created);
  xmlNode *endorser = new_child(endorsement, SL_NS_SLREQ, "endorser", NULL);
  xmlNs *rdf = xmlSearchNsByHref(doc, endorsement, (const xmlChar *)SL_NS_RDF);
  if (rdf == NULL || rdf->prefix == NULL)
    rdf = xmlNewNs(endorser, (const xmlChar *)SL_NS_RDF, (const xmlChar *)"rdf");
  xmlSetNsProp(endorser, rdf, (const xmlChar *)"parseType", (const xmlChar *)"Resource");
  new_child(endorser, SL_NS_SLREQ, "email", email);
  new_child(endorser, SL_NS_SLREQ, "subject", who->subject);
  new_child(endorser, SL_NS_SLREQ, "issuer", who->issuer);
  return TRUE;
}

char *
sl_market_fill_endorsement(const char *data, gsize len, const SlMarketSigner *who,
                           const char *email, GDateTime *now, gsize *out_len, GError **error)
{
  g_autoptr(xmlDoc) doc = sl_market_xml_parse(data, len, error);
  if (doc == NULL || !fill_endorsement(doc, who, email, now, error))
    return NULL;
  return sl_market_xml_dump(doc, out_len);
}

/* --- signing ---------------------------------------------------------- */

static xmlSecKeyPtr
make_key(const SlMarketCredentials *creds)
{
  EVP_PKEY *pkey = sl_x509_credentials_key(creds);
  X509 *cert = sl_x509_credentials_cert(creds);
  xmlSecKeyPtr key = xmlSecKeyCreate();
  if (key == NULL)
    return NULL;
  EVP_PKEY_up_ref(pkey);
  xmlSecKeyDataPtr value = xmlSecOpenSSLEvpKeyAdopt(pkey);
  if (value == NULL) {
    EVP_PKEY_free(pkey);
    xmlSecKeyDestroy(key);
    return NULL;
  }
  xmlSecKeyDataPtr x509 = NULL;
  if (xmlSecKeySetValue(key, value) < 0) {
    xmlSecKeyDataDestroy(value);
    xmlSecKeyDestroy(key);
    return NULL;
  }
  x509 = xmlSecKeyEnsureData(key, xmlSecOpenSSLKeyDataX509Id);
  X509 *c1 = X509_dup(cert), *c2 = X509_dup(cert);
  if (x509 == NULL || xmlSecOpenSSLKeyDataX509AdoptKeyCert(x509, c1) < 0) {
    X509_free(c1);
    X509_free(c2);
    xmlSecKeyDestroy(key);
    return NULL;
  }
  if (xmlSecOpenSSLKeyDataX509AdoptCert(x509, c2) < 0) {
    X509_free(c2);
    xmlSecKeyDestroy(key);
    return NULL;
  }
  return key;
}

static char *
sign_doc(xmlDoc *doc, const SlMarketCredentials *creds, gsize *out_len, GError **error)
{
  xmlNode *root = xmlDocGetRootElement(doc);
  xmlNode *sig = xmlSecTmplSignatureCreate(doc, xmlSecTransformInclC14NWithCommentsId,
                                           xmlSecTransformRsaSha1Id, NULL);
  xmlNode *ref = sig ? xmlSecTmplSignatureAddReference(sig, xmlSecTransformSha1Id, NULL,
                                                       (const xmlChar *)"", NULL)
                     : NULL;
  xmlNode *key_info = sig ? xmlSecTmplSignatureEnsureKeyInfo(sig, NULL) : NULL;
  xmlNode *x509 = key_info ? xmlSecTmplKeyInfoAddX509Data(key_info) : NULL;
  if (sig == NULL || ref == NULL || x509 == NULL ||
      xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) == NULL ||
      xmlSecTmplX509DataAddCertificate(x509) == NULL) {
    if (sig)
      xmlFreeNode(sig);
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot create the signature template");
    return NULL;
  }
  xmlAddChild(root, sig);

  xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
  ctx->signKey = make_key(creds);
  sl_market_clear_xmlsec_error();
  int rc = ctx->signKey ? xmlSecDSigCtxSign(ctx, sig) : -1;
  xmlSecDSigCtxDestroy(ctx);
  if (rc < 0) {
    g_autofree char *why = sl_market_take_xmlsec_error();
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "signing failed: %s", why);
    return NULL;
  }
  return sl_market_xml_dump(doc, out_len);
}

char *
sl_market_sign(const char *data, gsize len, const SlMarketCredentials *creds, const char *email,
               GDateTime *now, gsize *out_len, GError **error)
{
  g_autoptr(xmlDoc) doc = sl_market_xml_parse(data, len, error);
  if (doc == NULL)
    return NULL;
  strip_signatures(doc);
  clear_endorsement(doc);
  if (!fill_endorsement(doc, sl_market_credentials_signer(creds), email, now, error))
    return NULL;
  return sign_doc(doc, creds, out_len, error);
}

char *
sl_market_sign_as_is(const char *data, gsize len, const SlMarketCredentials *creds, gsize *out_len,
                     GError **error)
{
  g_autoptr(xmlDoc) doc = sl_market_xml_parse(data, len, error);
  if (doc == NULL)
    return NULL;
  strip_signatures(doc);
  return sign_doc(doc, creds, out_len, error);
}

/* --- verification ----------------------------------------------------- */

static char *
doc_value(xmlDoc *doc, const char *name)
{
  xmlNode *n = sl_xml_find(xmlDocGetRootElement(doc), SL_NS_SLREQ, name);
  return n ? sl_xml_text(n) : NULL;
}

static char *
reference_report(xmlSecDSigCtxPtr ctx)
{
  GString *out = g_string_new("signature validation: false");
  xmlSecSize n = xmlSecPtrListGetSize(&ctx->signedInfoReferences);
  for (xmlSecSize i = 0; i < n; i++) {
    xmlSecDSigReferenceCtxPtr r = xmlSecPtrListGetItem(&ctx->signedInfoReferences, i);
    if (r == NULL)
      continue;
    g_string_append_printf(out, "; content (ref='%s') validity: %s",
                           r->uri ? (const char *)r->uri : "",
                           r->status == xmlSecDSigStatusSucceeded ? "true" : "false");
  }
  return g_string_free(out, FALSE);
}

static void
keys_manager_free(gpointer mngr)
{
  xmlSecKeysMngrDestroy(mngr);
}

/* Setting up a keys manager loads the default X509 store (the system CA
 * bundle), which costs tens of milliseconds; verification only reads it
 * (certificates are not checked against it, see verify_doc), so each thread
 * makes one and keeps it. */
static GPrivate keys_manager = G_PRIVATE_INIT(keys_manager_free);

static xmlSecKeysMngrPtr
thread_keys_manager(void)
{
  xmlSecKeysMngrPtr mngr = g_private_get(&keys_manager);
  if (mngr != NULL)
    return mngr;
  mngr = xmlSecKeysMngrCreate();
  if (mngr == NULL || xmlSecCryptoAppDefaultKeysMngrInit(mngr) < 0) {
    if (mngr)
      xmlSecKeysMngrDestroy(mngr);
    return NULL;
  }
  g_private_set(&keys_manager, mngr);
  return mngr;
}

static SlMarketSigner *
verify_doc(xmlDoc *doc, GError **error)
{
  xmlNode *sig = sl_xml_find(xmlDocGetRootElement(doc), SL_NS_DSIG, "Signature");
  if (sig == NULL) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "no signature");
    return NULL;
  }
  xmlSecKeysMngrPtr mngr = thread_keys_manager();
  if (mngr == NULL) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot create the xmlsec keys manager");
    return NULL;
  }
  xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(mngr);
  /* Key from the embedded certificate; dates and chain not checked (§5.4). */
  ctx->keyInfoReadCtx.flags |= XMLSEC_KEYINFO_FLAGS_X509DATA_DONT_VERIFY_CERTS;
  ctx->enabledReferenceUris = xmlSecTransformUriTypeEmpty; /* only Reference URI="" */
  sl_market_clear_xmlsec_error();
  SlMarketSigner *who = NULL;
  if (xmlSecDSigCtxVerify(ctx, sig) < 0) {
    g_autofree char *why = sl_market_take_xmlsec_error();
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "invalid signature element: %s", why);
  } else if (ctx->status != xmlSecDSigStatusSucceeded) {
    g_autofree char *why = reference_report(ctx);
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "%s", why);
  } else {
    xmlSecKeyDataPtr data = xmlSecKeyGetData(ctx->signKey, xmlSecOpenSSLKeyDataX509Id);
    X509 *cert = data ? xmlSecOpenSSLKeyDataX509GetKeyCert(data) : NULL;
    EVP_PKEY *used = xmlSecOpenSSLEvpKeyDataGetEvp(xmlSecKeyGetValue(ctx->signKey));
    if (cert == NULL || used == NULL || EVP_PKEY_eq(X509_get0_pubkey(cert), used) != 1)
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                  "invalid signature element: the key is not the one of an X509Certificate "
                  "in KeyInfo");
    else
      who = sl_x509_signer(cert);
  }
  xmlSecDSigCtxDestroy(ctx);
  if (who == NULL)
    return NULL;

  const struct {
    const char *key, *cert;
  } fields[] = {{"subject", who->subject}, {"issuer", who->issuer}, {"email", who->email}};
  for (gsize i = 0; i < G_N_ELEMENTS(fields); i++) {
    if (fields[i].cert == NULL)
      continue; /* a certificate without e-mail: nothing to compare */
    g_autofree char *in_doc = doc_value(doc, fields[i].key);
    if (g_strcmp0(fields[i].cert, in_doc) != 0) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "endorser inconsistency (%s): %s != %s",
                  fields[i].key, fields[i].cert, in_doc ? in_doc : "null");
      sl_market_signer_free(who);
      return NULL;
    }
  }
  return who;
}

SlMarketSigner *
sl_market_verify(const char *data, gsize len, GError **error)
{
  g_autoptr(xmlDoc) doc = sl_market_xml_parse(data, len, error);
  if (doc == NULL)
    return NULL;
  return verify_doc(doc, error);
}
