/* tls.c - CA and server certificate generation with OpenSSL 3. */
#include "http/tls.h"

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

#include "util/error.h"

#define VALIDITY_SECONDS (10L * 365 * 24 * 3600 + 3 * 24 * 3600)

G_DEFINE_AUTOPTR_CLEANUP_FUNC(EVP_PKEY, EVP_PKEY_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BIO, BIO_free_all)

static gboolean
ssl_fail(GError **error, const char *what)
{
  char buf[256] = "unknown error";
  unsigned long e = ERR_get_error();
  if (e)
    ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "TLS: %s: %s", what, buf);
  return FALSE;
}

/* ---- PEM in and out ---------------------------------------------------- */

static char *
bio_to_string(BIO *bio)
{
  char *data = NULL;
  long len = BIO_get_mem_data(bio, &data);
  return g_strndup(data, (gsize)len);
}

static char *
key_to_pem(EVP_PKEY *key)
{
  g_autoptr(BIO) bio = BIO_new(BIO_s_mem());
  if (!PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL))
    return NULL;
  return bio_to_string(bio);
}

static char *
cert_to_pem(X509 *cert)
{
  g_autoptr(BIO) bio = BIO_new(BIO_s_mem());
  if (!PEM_write_bio_X509(bio, cert))
    return NULL;
  return bio_to_string(bio);
}

static EVP_PKEY *
key_from_pem(const char *pem)
{
  g_autoptr(BIO) bio = BIO_new_mem_buf(pem, -1);
  return PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
}

static X509 *
cert_from_pem(const char *pem)
{
  g_autoptr(BIO) bio = BIO_new_mem_buf(pem, -1);
  return PEM_read_bio_X509(bio, NULL, NULL, NULL);
}

static gboolean
write_file(const char *path, const char *text, int mode, GError **error)
{
  /* temp file + fsync + rename, created with mode */
  return g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, mode, error);
}

/* ---- certificates ------------------------------------------------------ */

static gboolean
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
  X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
  if (!ext)
    return FALSE;
  int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return ok == 1;
}

static gboolean
set_name(X509_NAME *name, const char *cn)
{
  return X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)"StratusLab",
                                    -1, -1, 0) == 1 &&
         X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                    0) == 1;
}

static gboolean
set_serial(X509 *cert)
{
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1)
    return FALSE;
  raw[0] &= 0x7f; /* positive */
  BIGNUM *bn = BN_bin2bn(raw, sizeof raw, NULL);
  if (!bn)
    return FALSE;
  gboolean ok = BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert)) != NULL;
  BN_free(bn);
  return ok;
}

/* A certificate for key, with subject cn, signed by issuer_key (issuer NULL =
 * self-signed). */
static X509 *
make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key, const char *san)
{
  g_autoptr(X509) cert = X509_new();
  if (!cert || X509_set_version(cert, 2) != 1 || !set_serial(cert))
    return NULL;
  /* an hour back, for clocks slightly behind */
  if (!X509_gmtime_adj(X509_getm_notBefore(cert), -3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert), VALIDITY_SECONDS))
    return NULL;
  if (!set_name(X509_get_subject_name(cert), cn) || X509_set_pubkey(cert, key) != 1)
    return NULL;
  X509 *signer = issuer ? issuer : cert;
  if (X509_set_issuer_name(cert, X509_get_subject_name(signer)) != 1)
    return NULL;
  gboolean ok;
  if (!issuer) {
    ok = add_ext(cert, signer, NID_basic_constraints, "critical,CA:TRUE") &&
         add_ext(cert, signer, NID_key_usage, "critical,keyCertSign,cRLSign") &&
         add_ext(cert, signer, NID_subject_key_identifier, "hash") &&
         add_ext(cert, signer, NID_authority_key_identifier, "keyid:always");
  } else {
    ok = add_ext(cert, signer, NID_basic_constraints, "critical,CA:FALSE") &&
         add_ext(cert, signer, NID_key_usage, "critical,digitalSignature,keyAgreement") &&
         add_ext(cert, signer, NID_ext_key_usage, "serverAuth") &&
         add_ext(cert, signer, NID_subject_key_identifier, "hash") &&
         add_ext(cert, signer, NID_authority_key_identifier, "keyid:always") &&
         add_ext(cert, signer, NID_subject_alt_name, san);
  }
  if (!ok || X509_sign(cert, issuer_key, EVP_sha256()) <= 0)
    return NULL;
  return g_steal_pointer(&cert);
}

static char *
san_for(const char *host)
{
  GString *san = g_string_new("DNS:localhost,IP:127.0.0.1");
  if (!host || !*host || g_strcmp0(host, "localhost") == 0 || g_strcmp0(host, "127.0.0.1") == 0)
    return g_string_free(san, FALSE);
  if (g_hostname_is_ip_address(host)) {
    g_string_append_printf(san, ",IP:%s", host);
    if (g_strcmp0(host, "0.0.0.0") == 0 || g_strcmp0(host, "::") == 0) {
      /* wildcard: also name this machine */
      const char *name = g_get_host_name();
      if (name && *name && g_strcmp0(name, "localhost") != 0)
        g_string_append_printf(san, ",DNS:%s", name);
    }
  } else {
    g_string_append_printf(san, ",DNS:%s", host);
  }
  return g_string_free(san, FALSE);
}

static gboolean
covers(X509 *cert, const char *host)
{
  if (!host || !*host)
    return TRUE;
  if (g_hostname_is_ip_address(host))
    return X509_check_ip_asc(cert, host, 0) == 1;
  return X509_check_host(cert, host, 0, X509_CHECK_FLAG_NO_WILDCARDS, NULL) == 1;
}

static gboolean
still_valid(X509 *cert)
{
  /* renew when less than 30 days are left */
  time_t soon = time(NULL) + 30L * 24 * 3600;
  return X509_cmp_time(X509_get0_notAfter(cert), &soon) > 0 &&
         X509_cmp_current_time(X509_get0_notBefore(cert)) < 0;
}

/* ---- files ------------------------------------------------------------- */

static gboolean
load_pair(const char *key_path, const char *cert_path, EVP_PKEY **key, X509 **cert)
{
  g_autofree char *key_text = NULL;
  g_autofree char *cert_text = NULL;
  if (!g_file_get_contents(key_path, &key_text, NULL, NULL) ||
      !g_file_get_contents(cert_path, &cert_text, NULL, NULL))
    return FALSE;
  *key = key_from_pem(key_text);
  *cert = cert_from_pem(cert_text);
  if (key_text)
    memset(key_text, 0, strlen(key_text));
  if (!*key || !*cert || X509_check_private_key(*cert, *key) != 1) {
    g_clear_pointer(key, EVP_PKEY_free);
    g_clear_pointer(cert, X509_free);
    ERR_clear_error();
    return FALSE;
  }
  return TRUE;
}

static gboolean
save_pair(const char *key_path, const char *cert_path, EVP_PKEY *key, X509 *cert, GError **error)
{
  g_autofree char *key_pem = key_to_pem(key);
  g_autofree char *cert_pem = cert_to_pem(cert);
  if (!key_pem || !cert_pem)
    return ssl_fail(error, "cannot encode PEM");
  gboolean ok =
      write_file(key_path, key_pem, 0600, error) && write_file(cert_path, cert_pem, 0644, error);
  memset(key_pem, 0, strlen(key_pem));
  return ok;
}

gboolean
sl_tls_ensure(const char *dir, const char *host, char **cert_pem, char **key_pem, GError **error)
{
  if (g_mkdir_with_parents(dir, 0700) != 0) {
    int e = errno;
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot create %s: %s", dir, g_strerror(e));
    return FALSE;
  }
  g_autofree char *ca_key_path = g_build_filename(dir, "ca.key", NULL);
  g_autofree char *ca_crt_path = g_build_filename(dir, "ca.crt", NULL);
  g_autofree char *srv_key_path = g_build_filename(dir, "server.key", NULL);
  g_autofree char *srv_crt_path = g_build_filename(dir, "server.crt", NULL);

  g_autoptr(EVP_PKEY) ca_key = NULL;
  g_autoptr(X509) ca = NULL;
  if (!load_pair(ca_key_path, ca_crt_path, &ca_key, &ca)) {
    if (g_file_test(ca_crt_path, G_FILE_TEST_EXISTS)) {
      g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL,
                  "TLS: %s exists but cannot be used with %s; move both away to create a new CA",
                  ca_crt_path, ca_key_path);
      return FALSE;
    }
    ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!ca_key)
      return ssl_fail(error, "cannot generate the CA key");
    ca = make_cert(ca_key, "StratusLab CA", NULL, ca_key, NULL);
    if (!ca)
      return ssl_fail(error, "cannot make the CA certificate");
    if (!save_pair(ca_key_path, ca_crt_path, ca_key, ca, error))
      return FALSE;
    g_message("created CA certificate %s", ca_crt_path);
  }

  g_autoptr(EVP_PKEY) key = NULL;
  g_autoptr(X509) cert = NULL;
  if (load_pair(srv_key_path, srv_crt_path, &key, &cert) && X509_verify(cert, ca_key) == 1 &&
      still_valid(cert) && covers(cert, host)) {
    /* reuse */
  } else {
    ERR_clear_error();
    g_clear_pointer(&key, EVP_PKEY_free);
    g_clear_pointer(&cert, X509_free);
    key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!key)
      return ssl_fail(error, "cannot generate the server key");
    g_autofree char *san = san_for(host);
    cert = make_cert(key, host && *host ? host : "localhost", ca, ca_key, san);
    if (!cert)
      return ssl_fail(error, "cannot make the server certificate");
    if (!save_pair(srv_key_path, srv_crt_path, key, cert, error))
      return FALSE;
    g_message("issued server certificate %s for %s", srv_crt_path, san);
  }
  *cert_pem = cert_to_pem(cert);
  *key_pem = key_to_pem(key);
  if (!*cert_pem || !*key_pem) {
    g_clear_pointer(cert_pem, g_free);
    g_clear_pointer(key_pem, g_free);
    return ssl_fail(error, "cannot encode PEM");
  }
  return TRUE;
}
