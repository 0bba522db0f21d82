/* x509.c - certificate identities as StratusLab writes them: RFC 2253
 * distinguished names formatted like Java's X500Principal.getName(), the
 * first rfc822Name of subjectAltName, and PKCS#12 loading. */
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "market/x509.h"

#include "market/init.h"
#include "util/error.h"

/* Attribute types Java prints with a keyword in RFC 2253 form; every other
 * type is written as its dotted OID and the DER value in hex (#...). */
static const struct {
  int nid;
  const char *keyword;
} keywords[] = {
    {NID_commonName, "CN"},        {NID_countryName, "C"},
    {NID_localityName, "L"},       {NID_stateOrProvinceName, "ST"},
    {NID_organizationName, "O"},   {NID_organizationalUnitName, "OU"},
    {NID_streetAddress, "STREET"}, {NID_domainComponent, "DC"},
    {NID_userId, "UID"},
};

static void
append_hex_der(GString *out, const ASN1_STRING *value)
{
  ASN1_TYPE *t = ASN1_TYPE_new();
  unsigned char *der = NULL;
  int len = -1;
  if (t && ASN1_TYPE_set1(t, ASN1_STRING_type(value), value))
    len = i2d_ASN1_TYPE(t, &der);
  g_string_append_c(out, '#');
  for (int i = 0; i < len; i++)
    g_string_append_printf(out, "%02x", der[i]);
  OPENSSL_free(der);
  ASN1_TYPE_free(t);
}

static void
append_escaped(GString *out, const char *v)
{
  gsize n = strlen(v);
  for (gsize i = 0; i < n; i++) {
    char c = v[i];
    if (strchr(",=+<>#;\"\\", c) != NULL || (c == ' ' && (i == 0 || i == n - 1)))
      g_string_append_c(out, '\\');
    g_string_append_c(out, c);
  }
}

static gboolean
is_string_type(int type)
{
  switch (type) {
  case V_ASN1_PRINTABLESTRING:
  case V_ASN1_T61STRING:
  case V_ASN1_IA5STRING:
  case V_ASN1_GENERALSTRING:
  case V_ASN1_BMPSTRING:
  case V_ASN1_UTF8STRING:
  case V_ASN1_UNIVERSALSTRING:
    return TRUE;
  default:
    return FALSE;
  }
}

static char *
name_rfc2253(const X509_NAME *name)
{
  GString *out = g_string_new(NULL);
  int count = X509_NAME_entry_count(name);
  int prev_set = -1;
  /* RFC 2253 writes the RDNs last first; AVAs of one RDN are joined by '+'. */
  for (int i = count - 1; i >= 0; i--) {
    const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
    int set = X509_NAME_ENTRY_set(e);
    if (out->len > 0)
      g_string_append_c(out, set == prev_set ? '+' : ',');
    prev_set = set;
    const ASN1_OBJECT *obj = X509_NAME_ENTRY_get_object(e);
    const ASN1_STRING *value = X509_NAME_ENTRY_get_data(e);
    int nid = OBJ_obj2nid(obj);
    const char *keyword = NULL;
    for (gsize k = 0; k < G_N_ELEMENTS(keywords); k++)
      if (keywords[k].nid == nid)
        keyword = keywords[k].keyword;
    unsigned char *utf8 = NULL;
    int len = -1;
    if (keyword != NULL && is_string_type(ASN1_STRING_type(value)))
      len = ASN1_STRING_to_UTF8(&utf8, value);
    if (len >= 0) {
      g_string_append_printf(out, "%s=", keyword);
      g_autofree char *v = g_strndup((const char *)utf8, (gsize)len);
      append_escaped(out, v);
      OPENSSL_free(utf8);
    } else {
      char oid[128];
      OBJ_obj2txt(oid, sizeof oid, obj, 1);
      g_string_append_printf(out, "%s=", keyword ? keyword : oid);
      append_hex_der(out, value);
    }
  }
  return g_string_free(out, FALSE);
}

static char *
cert_email(X509 *cert)
{
  GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
  char *email = NULL;
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names) && email == NULL; i++) {
    const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
    if (gn->type == GEN_EMAIL)
      email = g_strndup((const char *)ASN1_STRING_get0_data(gn->d.rfc822Name),
                        (gsize)ASN1_STRING_length(gn->d.rfc822Name));
  }
  GENERAL_NAMES_free(names);
  return email;
}

static char *
asn1_time(const ASN1_TIME *t)
{
  struct tm tm;
  if (!ASN1_TIME_to_tm(t, &tm))
    return NULL;
  return g_strdup_printf("%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

SlMarketSigner *
sl_x509_signer(X509 *cert)
{
  SlMarketSigner *s = g_new0(SlMarketSigner, 1);
  s->subject = name_rfc2253(X509_get_subject_name(cert));
  s->issuer = name_rfc2253(X509_get_issuer_name(cert));
  s->email = cert_email(cert);
  s->not_before = asn1_time(X509_get0_notBefore(cert));
  s->not_after = asn1_time(X509_get0_notAfter(cert));
  BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
  char *hex = bn ? BN_bn2hex(bn) : NULL;
  s->serial = g_strdup(hex ? hex : "");
  OPENSSL_free(hex);
  BN_free(bn);
  BIO *bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, cert);
  char *mem = NULL;
  long n = BIO_get_mem_data(bio, &mem);
  s->pem = g_strndup(mem, n > 0 ? (gsize)n : 0);
  BIO_free(bio);
  return s;
}

void
sl_market_signer_free(SlMarketSigner *s)
{
  if (s == NULL)
    return;
  g_free(s->subject);
  g_free(s->issuer);
  g_free(s->email);
  g_free(s->not_before);
  g_free(s->not_after);
  g_free(s->serial);
  g_free(s->pem);
  g_free(s);
}

SlMarketSigner *
sl_market_signer_from_der(const guint8 *der, gsize len, GError **error)
{
  sl_market_init();
  const unsigned char *p = der;
  X509 *cert = d2i_X509(NULL, &p, (long)len);
  if (cert == NULL) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "invalid X.509 certificate");
    return NULL;
  }
  SlMarketSigner *s = sl_x509_signer(cert);
  X509_free(cert);
  return s;
}

/* --- PKCS#12 ---------------------------------------------------------- */

struct SlMarketCredentials {
  EVP_PKEY *key;
  X509 *cert;
  SlMarketSigner *signer;
};

static char *
openssl_error(void)
{
  unsigned long e = ERR_get_error();
  char buf[256] = "unknown error";
  if (e != 0)
    ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return g_strdup(buf);
}

SlMarketCredentials *
sl_market_credentials_load_p12_data(const guint8 *data, gsize len, const char *password,
                                    GError **error)
{
  sl_market_init();
  ERR_clear_error();
  const unsigned char *p = data;
  PKCS12 *p12 = d2i_PKCS12(NULL, &p, (long)len);
  if (p12 == NULL) {
    g_autofree char *why = openssl_error();
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "not a PKCS#12 file (%s)", why);
    return NULL;
  }
  if (PKCS12_mac_present(p12) && !PKCS12_verify_mac(p12, password ? password : "", -1)) {
    PKCS12_free(p12);
    ERR_clear_error();
    g_set_error(error, SL_ERROR, SL_ERROR_UNAUTHORIZED, "cannot read PKCS#12: wrong password?");
    return NULL;
  }
  EVP_PKEY *key = NULL;
  X509 *cert = NULL;
  STACK_OF(X509) *ca = NULL;
  int ok = PKCS12_parse(p12, password ? password : "", &key, &cert, &ca);
  PKCS12_free(p12);
  sk_X509_pop_free(ca, X509_free);
  if (!ok || key == NULL || cert == NULL) {
    g_autofree char *why = openssl_error();
    EVP_PKEY_free(key);
    X509_free(cert);
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "cannot read the key and certificate of the PKCS#12 file (%s)", why);
    return NULL;
  }
  SlMarketCredentials *c = g_new0(SlMarketCredentials, 1);
  c->key = key;
  c->cert = cert;
  c->signer = sl_x509_signer(cert);
  return c;
}

SlMarketCredentials *
sl_market_credentials_load_p12(const char *path, const char *password, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents(path, &data, &len, &local)) {
    g_set_error(error, SL_ERROR,
                g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT) ? SL_ERROR_NOT_FOUND
                                                                         : SL_ERROR_INVALID,
                "%s", local->message);
    return NULL;
  }
  g_autoptr(GError) inner = NULL;
  SlMarketCredentials *c =
      sl_market_credentials_load_p12_data((const guint8 *)data, len, password, &inner);
  if (c == NULL)
    g_set_error(error, SL_ERROR, inner->code, "%s: %s", path, inner->message);
  return c;
}

const SlMarketSigner *
sl_market_credentials_signer(const SlMarketCredentials *c)
{
  return c->signer;
}

EVP_PKEY *
sl_x509_credentials_key(const SlMarketCredentials *c)
{
  return c->key;
}

X509 *
sl_x509_credentials_cert(const SlMarketCredentials *c)
{
  return c->cert;
}

void
sl_market_credentials_free(SlMarketCredentials *c)
{
  if (c == NULL)
    return;
  EVP_PKEY_free(c->key);
  X509_free(c->cert);
  sl_market_signer_free(c->signer);
  g_free(c);
}
