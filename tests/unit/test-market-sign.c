/* test-market-sign.c - signing, verification, tampering, xmlsec1 CLI
 * cross-check, endorsement rules, build-metadata and deprecation
 * (protocols.md §5.2, §5.4, §5.5), on entries and keys the test makes itself;
 * the same on the StratusLab 13.05 fixtures as interoperability checks
 * (skipped without ../shared/fixtures). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "image/identifier.h"
#include "market/build.h"
#include "market/entry.h"
#include "market/sign.h"
#include "market/validate.h"
#include "helpers.h"
#include "market-helpers.h"
#include "util/error.h"

#define P12_PASSWORD "XYZXYZ"

static SlMarketCredentials *
load_creds(const char *name)
{
  g_autofree char *rel = g_build_filename("metadata-test-resources", name, NULL);
  g_autofree char *path = th_fixture(rel);
  g_autoptr(GError) error = NULL;
  SlMarketCredentials *c = sl_market_credentials_load_p12(path, P12_PASSWORD, &error);
  if (c == NULL)
    fail_msg("%s: %s", name, error->message);
  return c;
}

static guint
count(const char *haystack, const char *needle)
{
  guint n = 0;
  for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
    n++;
  return n;
}

/* xmlsec1 --verify --insecure on a document (the test is skipped, reason
 * printed, when the CLI is not installed). */
static void
xmlsec1_verify(const char *doc, gsize len)
{
  g_autofree char *xmlsec1 = th_tool("xmlsec1");
  g_autofree char *tmp = NULL;
  int fd = g_file_open_tmp("market-XXXXXX.xml", &tmp, NULL);
  assert_true(fd >= 0);
  close(fd);
  assert_true(g_file_set_contents(tmp, doc, (gssize)len, NULL));
  const char *argv[] = {xmlsec1, "--verify", "--insecure", tmp, NULL};
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                           &status, NULL));
  g_unlink(tmp);
  if (!g_spawn_check_wait_status(status, NULL))
    fail_msg("xmlsec1 --verify failed:\n%s%s", out, err);
}

static void
round_trip_doc(const SlMarketCredentials *creds, const char *data, gsize len, const char *email,
               gboolean cross_check)
{
  const char *input = "document";
  const char *p12 = "credentials";
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_utc(2013, 6, 16, 12, 0, 0);
  gsize signed_len = 0;
  g_autofree char *doc = sl_market_sign(data, len, creds, email, now, &signed_len, &error);
  if (doc == NULL)
    fail_msg("sign %s with %s: %s", input, p12, error->message);
  assert_int_equal(count(doc, "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">"), 1);
  assert_non_null(strstr(doc, "REC-xml-c14n-20010315#WithComments"));
  assert_non_null(strstr(doc, "xmldsig#rsa-sha1"));
  assert_non_null(strstr(doc, "<created xmlns=\"http://purl.org/dc/terms/\">"
                              "2013-06-16T12:00:00Z</created>"));
  g_autoptr(SlMarketSigner) signer = NULL;
  g_autoptr(SlMarketEntry) e =
      sl_market_validate(doc, signed_len, SL_MARKET_CHECK_ALL, &signer, &error);
  if (e == NULL)
    fail_msg("verify %s signed with %s: %s\n%s", input, p12, error->message, doc);
  const SlMarketSigner *mine = sl_market_credentials_signer(creds);
  assert_string_equal(signer->subject, mine->subject);
  assert_string_equal(e->subject, mine->subject);
  assert_string_equal(e->issuer, mine->issuer);
  assert_string_equal(e->email, mine->email ? mine->email : email);
  assert_string_equal(e->created, "2013-06-16T12:00:00Z");
  if (cross_check)
    xmlsec1_verify(doc, signed_len);

  /* One byte changed in the signed content: rejected. */
  g_autofree char *tampered = g_strdup(doc);
  char *bytes = strstr(tampered, "<slreq:bytes>");
  assert_non_null(bytes);
  bytes[strlen("<slreq:bytes>")] ^= 1;
  g_clear_error(&error);
  assert_null(sl_market_verify(tampered, signed_len, &error));
  assert_true(g_str_has_prefix(error->message, "signature validation: false"));
  /* A changed signature value: rejected. */
  g_free(tampered);
  tampered = g_strdup(doc);
  char *value = strstr(tampered, "<SignatureValue>");
  assert_non_null(value);
  value += strlen("<SignatureValue>") + 5;
  *value = *value == 'A' ? 'B' : 'A';
  g_clear_error(&error);
  assert_null(sl_market_verify(tampered, signed_len, &error));
  assert_true(g_str_has_prefix(error->message, "signature validation: false"));
}

static void
round_trip(const char *p12, const char *input, const char *email)
{
  g_autoptr(SlMarketCredentials) creds = load_creds(p12);
  gsize len = 0;
  g_autofree char *data = th_read_fixture(input, &len);
  round_trip_doc(creds, data, len, email, TRUE);
}

static void
test_fixture_round_trip(void **state)
{
  (void)state;
  th_need_fixtures(); /* first: a skip leaves by longjmp */
  g_free(th_tool("xmlsec1"));
  round_trip("test.p12", "metadata-test-resources/valid-minimal.xml", NULL);
  round_trip("test.p12", "metadata-test-resources/valid-full.xml", NULL);
  round_trip("test.p12", "metadata-test-resources/valid-minimal-empty-endorsement.xml", NULL);
  round_trip("test-ca-signed.p12", "metadata-test-resources/valid-full-alt-cimi.xml",
             "jim.tester@example.org");
  /* Re-signing a signed entry replaces its signature and endorsement. */
  round_trip("test.p12", "client/manifest-invalid-sha1.xml", NULL);
  round_trip("test-ca-signed.p12", "metadata-test-resources/valid-ca-signed.xml",
             "jim.tester@example.org");
}

/* Endorser fields that do not match the certificate (signature valid). */
static void
inconsistent_doc(const SlMarketCredentials *creds, const char *data, gsize len,
                 const SlMarketSigner *claimed, const char *email, const char *expected)
{
  gsize filled_len = 0, n = 0;
  g_autoptr(GError) error = NULL;
  g_autofree char *filled =
      sl_market_fill_endorsement(data, len, claimed, email, NULL, &filled_len, &error);
  assert_non_null(filled);
  g_autofree char *doc = sl_market_sign_as_is(filled, filled_len, creds, &n, &error);
  assert_non_null(doc);
  assert_null(sl_market_verify(doc, n, &error));
  assert_string_equal(error->message, expected);
  g_clear_error(&error);
  /* The document rules alone accept it. */
  g_autoptr(SlMarketEntry) e = sl_market_validate(doc, n, SL_MARKET_CHECK_DOCUMENT, NULL, &error);
  assert_non_null(e);
}

static void
inconsistent(const SlMarketSigner *claimed, const char *email, const char *expected)
{
  g_autoptr(SlMarketCredentials) creds = load_creds("test.p12");
  gsize len = 0;
  g_autofree char *data =
      th_read_fixture("metadata-test-resources/valid-minimal-empty-endorsement.xml", &len);
  inconsistent_doc(creds, data, len, claimed, email, expected);
}

static void
test_fixture_endorser_inconsistency(void **state)
{
  (void)state;
  th_need_fixtures(); /* first: a skip leaves by longjmp */
  const char *jane = "CN=Jane Tester,OU=Testing Department,O=StratusLab Project,C=EU";
  SlMarketSigner other = {.subject = "CN=Someone Else,O=Elsewhere", .issuer = (char *)jane};
  inconsistent(&other, "jane.tester@example.org",
               "endorser inconsistency (subject): CN=Jane Tester,OU=Testing Department,"
               "O=StratusLab Project,C=EU != CN=Someone Else,O=Elsewhere");
  SlMarketSigner issuer = {.subject = (char *)jane, .issuer = "CN=Some CA"};
  inconsistent(&issuer, "jane.tester@example.org",
               "endorser inconsistency (issuer): CN=Jane Tester,OU=Testing Department,"
               "O=StratusLab Project,C=EU != CN=Some CA");
  SlMarketSigner mail = {.subject = (char *)jane, .issuer = (char *)jane};
  inconsistent(&mail, "someone@example.org",
               "endorser inconsistency (email): jane.tester@example.org != someone@example.org");
}

/* partial-*: every Signature removed and only the last endorsement kept. */
static void
test_fixture_sign_partial(void **state)
{
  (void)state;
  th_need_fixtures(); /* first: a skip leaves by longjmp */
  g_autoptr(SlMarketCredentials) creds = load_creds("test.p12");
  const char *names[] = {"metadata-test-resources/partial-multiple-signatures.xml",
                         "metadata-test-resources/partial-multiple-endorsements.xml"};
  for (gsize i = 0; i < G_N_ELEMENTS(names); i++) {
    gsize len = 0;
    g_autofree char *data = th_read_fixture(names[i], &len);
    g_autoptr(GError) error = NULL;
    gsize n = 0;
    g_autofree char *doc = sl_market_sign(data, len, creds, NULL, NULL, &n, &error);
    if (doc == NULL)
      fail_msg("%s: %s", names[i], error->message);
    assert_int_equal(count(doc, "<Signature "), 1);
    assert_int_equal(count(doc, "endorsement rdf:parseType"), 1);
    g_autoptr(SlMarketSigner) signer = sl_market_verify(doc, n, &error);
    if (signer == NULL)
      fail_msg("%s: %s", names[i], error->message);
  }
}

/* autogen-*: the fill step fills an empty endorsement, keeps a filled one. */
static void
test_fixture_autogen(void **state)
{
  (void)state;
  th_need_fixtures(); /* first: a skip leaves by longjmp */
  g_autoptr(SlMarketCredentials) creds = load_creds("test.p12");
  const SlMarketSigner *who = sl_market_credentials_signer(creds);
  gsize len = 0, n = 0;
  g_autoptr(GError) error = NULL;
  g_autofree char *done =
      th_read_fixture("metadata-test-resources/autogen-endorsement-done.xml", &len);
  g_autofree char *out =
      sl_market_fill_endorsement(done, len, who, "example@example.org", NULL, &n, &error);
  assert_non_null(out);
  assert_non_null(strstr(out, "<email>jane.tester@example.org</email>"));
  assert_non_null(strstr(out, "rdf:parseType=\"Resource\"><email>"));
  g_autofree char *not_done =
      th_read_fixture("metadata-test-resources/autogen-endorsement-not-done.xml", &len);
  g_autofree char *kept = sl_market_fill_endorsement(not_done, len, who, NULL, NULL, &n, &error);
  assert_non_null(kept);
  assert_non_null(strstr(kept, "<ex:marker>"));
  assert_null(strstr(kept, "<email>"));

  /* Without an e-mail in the certificate nor given; invalid e-mail. */
  SlMarketSigner nomail = {.subject = "CN=X", .issuer = "CN=X"};
  assert_null(sl_market_fill_endorsement(done, strlen(done), &nomail, NULL, NULL, &n, &error));
  assert_string_equal(error->message,
                      "cannot generate slreq:endorsement; email address not in cert or not "
                      "provided");
  g_clear_error(&error);
  assert_null(sl_market_fill_endorsement(done, strlen(done), &nomail, "not@a@valid@address", NULL,
                                         &n, &error));
  assert_string_equal(error->message, "invalid email address: not@a@valid@address");
  g_clear_error(&error);
  g_autofree char *none =
      th_read_fixture("metadata-test-resources/invalid-no-endorsement.xml", &len);
  assert_null(sl_market_sign(none, len, creds, NULL, NULL, &n, &error));
  assert_string_equal(error->message, "document must contain exactly 1 slreq:endorsement element");
}

static void
test_fixture_build(void **state)
{
  (void)state;
  th_need_fixtures(); /* first: a skip leaves by longjmp */
  g_autofree char *img = th_fixture("storage/test.img");
  g_autofree char *gz = th_fixture("storage/test.img.gz");
  g_autoptr(GDateTime) now = g_date_time_new_utc(2013, 6, 16, 12, 0, 0);
  const char *locations[] = {"http://example.org/test.img", NULL};
  SlMarketBuildInfo info = {.os = "ttylinux",
                            .os_version = "9.7",
                            .os_arch = "i486",
                            .version = "1.0",
                            .locations = locations,
                            .title = "test",
                            .alternative = "tag1",
                            .creator = "Jane",
                            .now = now};
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketEntry) e = sl_market_build(img, &info, &error);
  assert_non_null(e);
  assert_string_equal(e->identifier, "Nyuwnr8SOXWilAOWhWTELpytQKS");
  assert_string_equal(e->sha1, "dcaec27afc48e5d68a500e5a159310ba72b50292");
  assert_int_equal(e->bytes, 20);
  assert_string_equal(e->valid, "2013-12-11T12:00:00Z"); /* + 178 days */
  assert_string_equal(e->compression, "");
  g_autofree char *name = sl_market_build_filename(e);
  assert_string_equal(name, "ttylinux-9.7-i486-base-1.0.xml");

  /* Same identifier from the gzip file: hashes of the uncompressed bytes. */
  g_autoptr(SlMarketEntry) z = sl_market_build(gz, &info, &error);
  assert_non_null(z);
  assert_string_equal(z->compression, "gz");
  assert_string_equal(z->identifier, e->identifier);
  assert_string_equal(sl_market_entry_checksum(z, "SHA-512"),
                      sl_market_entry_checksum(e, "SHA-512"));
  g_autofree char *md5 = g_compute_checksum_for_string(G_CHECKSUM_MD5, "data for SHA1 digest", -1);
  assert_string_equal(sl_market_entry_checksum(z, "MD5"), md5);

  /* The written document is valid, signs and verifies. */
  g_autofree char *xml = sl_market_entry_to_xml(e);
  g_autoptr(SlMarketEntry) back =
      sl_market_validate(xml, strlen(xml), SL_MARKET_CHECK_DOCUMENT, NULL, &error);
  if (back == NULL)
    fail_msg("%s\n%s", error->message, xml);
  assert_string_equal(back->alternative, "tag1");
  assert_string_equal(back->title, "test");
  assert_string_equal(back->creator, "Jane");
  assert_string_equal(back->image_created, "2013-06-16T12:00:00Z");
  assert_string_equal(back->disks_bus, "ide");
  g_autoptr(SlMarketCredentials) creds = load_creds("test.p12");
  gsize n = 0;
  g_autofree char *doc = sl_market_sign(xml, strlen(xml), creds, NULL, NULL, &n, &error);
  assert_non_null(doc);
  g_autoptr(SlMarketEntry) s = sl_market_validate(doc, n, SL_MARKET_CHECK_ALL, NULL, &error);
  if (s == NULL)
    fail_msg("%s", error->message);

  /* Explicit validity, bad compression data, unknown compression. */
  info.valid = "2030-01-01T00:00:00Z";
  g_autoptr(SlMarketEntry) v = sl_market_build(img, &info, &error);
  assert_string_equal(v->valid, "2030-01-01T00:00:00Z");
  info.valid = "2030-13-01T00:00:00Z";
  assert_null(sl_market_build(img, &info, &error));
  g_clear_error(&error);
  info.valid = NULL;
  info.compression = "bz2";
  assert_null(sl_market_build(img, &info, &error));
  assert_non_null(strstr(error->message, "invalid bzip2 data"));
  g_clear_error(&error);
  info.compression = "zip";
  assert_null(sl_market_build(img, &info, &error));
  g_clear_error(&error);
  info.compression = NULL;
  assert_null(sl_market_build("/nonexistent.img", &info, &error));
  assert_int_equal(error->code, SL_ERROR_NOT_FOUND);
}

static void
test_fixture_deprecate(void **state)
{
  (void)state;
  th_need_fixtures(); /* first: a skip leaves by longjmp */
  g_free(th_tool("xmlsec1"));
  g_autoptr(SlMarketCredentials) creds = load_creds("test.p12");
  gsize len = 0, n = 0;
  g_autofree char *data =
      th_read_fixture("marketplace-test-resources/valid-indate-signature.xml", &len);
  g_autoptr(GError) error = NULL;
  g_autofree char *doc = sl_market_deprecate(data, len, NULL, creds, NULL, NULL, &n, &error);
  if (doc == NULL)
    fail_msg("%s", error->message);
  g_autoptr(SlMarketEntry) old = sl_market_entry_parse(data, len, NULL);
  g_autoptr(SlMarketEntry) e = sl_market_validate(doc, n, SL_MARKET_CHECK_ALL, NULL, &error);
  if (e == NULL)
    fail_msg("%s\n%s", error->message, doc);
  assert_true(e->deprecated);
  assert_string_equal(e->deprecated_reason, "This image has been deprecated");
  assert_string_equal(e->identifier, old->identifier);
  assert_true(sl_market_entry_is_newer(e, old));
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  assert_int_equal(sl_market_entry_status(e, now), SL_MARKET_STATUS_DEPRECATED);
  xmlsec1_verify(doc, n);
  /* Deprecating again replaces the reason (still one element). */
  g_autofree char *again = sl_market_deprecate(doc, n, "gone", creds, NULL, NULL, &n, &error);
  assert_non_null(again);
  assert_int_equal(count(again, "deprecated>"), 2);
  assert_non_null(strstr(again, ">gone</slterms:deprecated>"));
}

/* Signing and verifying from several threads at once. */
typedef struct {
  const SlMarketCredentials *creds;
  const char *data;
  gsize len;
} ThreadJob;

static gpointer
thread_main(gpointer p)
{
  const ThreadJob *job = p;
  const SlMarketCredentials *creds = job->creds;
  const char *data = job->data;
  gsize len = job->len;
  for (int i = 0; i < 5; i++) {
    gsize n = 0;
    g_autofree char *doc = sl_market_sign(data, len, creds, NULL, NULL, &n, NULL);
    g_autoptr(SlMarketSigner) s = doc ? sl_market_verify(doc, n, NULL) : NULL;
    if (s == NULL)
      return GINT_TO_POINTER(1);
  }
  return NULL;
}

static void
threads(const SlMarketCredentials *creds, const char *data, gsize len)
{
  ThreadJob job = {creds, data, len};
  GThread *threads[4];
  for (int i = 0; i < 4; i++)
    threads[i] = g_thread_new("sign", thread_main, &job);
  for (int i = 0; i < 4; i++)
    assert_null(g_thread_join(threads[i]));
}

static void
test_fixture_threads(void **state)
{
  (void)state;
  th_need_fixtures(); /* first: a skip leaves by longjmp */
  g_autoptr(SlMarketCredentials) creds = load_creds("test.p12");
  gsize len = 0;
  g_autofree char *data = th_read_fixture("metadata-test-resources/valid-minimal.xml", &len);
  threads(creds, data, len);
}

/* ---- core: keys and entries made by the test ------------------------------- */

typedef struct {
  TmPki *pki;
  char *image;
  char *doc; /* unsigned entry of image */
  gsize len;
} Own;

static Own own; /* made once for the program (RSA keys take time) */

static int
own_setup(void **state)
{
  if (!own.pki) {
    own.pki = tm_pki_new();
    own.image = tm_image(own.pki->dir, "test.img", 20000, 3);
    own.doc = tm_entry(own.image, NULL, NULL, &own.len);
  }
  *state = &own;
  return 0;
}

static int
own_teardown_all(void **state)
{
  (void)state;
  g_free(own.doc);
  g_free(own.image);
  tm_pki_free(own.pki);
  return 0;
}

static void
test_own_round_trip(void **state)
{
  Own *o = *state;
  round_trip_doc(o->pki->ada_c, o->doc, o->len, NULL, FALSE);
  round_trip_doc(o->pki->carl_c, o->doc, o->len, "carl@example.org", FALSE);
  /* Re-signing a signed entry replaces its signature and endorsement. */
  gsize n = 0;
  g_autofree char *signed_doc =
      sl_market_sign(o->doc, o->len, o->pki->carl_c, "carl@example.org", NULL, &n, NULL);
  assert_non_null(signed_doc);
  round_trip_doc(o->pki->ada_c, signed_doc, n, NULL, FALSE);
}

/* The signatures we write verify with the xmlsec1 command too. */
static void
test_own_xmlsec1_cross_check(void **state)
{
  Own *o = *state;
  g_free(th_tool("xmlsec1")); /* first: a skip leaves by longjmp */
  gsize n = 0, d = 0;
  g_autofree char *doc = sl_market_sign(o->doc, o->len, o->pki->ada_c, NULL, NULL, &n, NULL);
  assert_non_null(doc);
  xmlsec1_verify(doc, n);
  g_autofree char *dep = sl_market_deprecate(doc, n, NULL, o->pki->ada_c, NULL, NULL, &d, NULL);
  assert_non_null(dep);
  xmlsec1_verify(dep, d);
}

static void
test_own_endorser_inconsistency(void **state)
{
  Own *o = *state;
  SlMarketSigner other = {.subject = "CN=Someone Else,O=Elsewhere", .issuer = TM_ADA_SUBJECT};
  inconsistent_doc(o->pki->ada_c, o->doc, o->len, &other, TM_ADA_EMAIL,
                   "endorser inconsistency (subject): " TM_ADA_SUBJECT
                   " != CN=Someone Else,O=Elsewhere");
  SlMarketSigner issuer = {.subject = TM_ADA_SUBJECT, .issuer = "CN=Some CA"};
  inconsistent_doc(o->pki->ada_c, o->doc, o->len, &issuer, TM_ADA_EMAIL,
                   "endorser inconsistency (issuer): " TM_ADA_SUBJECT " != CN=Some CA");
  SlMarketSigner mail = {.subject = TM_ADA_SUBJECT, .issuer = TM_ADA_SUBJECT};
  inconsistent_doc(o->pki->ada_c, o->doc, o->len, &mail, "someone@example.org",
                   "endorser inconsistency (email): " TM_ADA_EMAIL " != someone@example.org");
}

/* Several signatures and endorsements: every Signature removed, only the last
 * endorsement kept. */
static void
test_own_sign_partial(void **state)
{
  Own *o = *state;
  gsize n = 0;
  g_autofree char *signed_doc = sl_market_sign(o->doc, o->len, o->pki->ada_c, NULL, NULL, &n, NULL);
  assert_non_null(signed_doc);
  const char *sig = strstr(signed_doc, "<Signature ");
  const char *end = strstr(signed_doc, "</Signature>");
  assert_non_null(sig);
  assert_non_null(end);
  end += strlen("</Signature>");
  /* two signatures */
  g_autoptr(GString) two = g_string_new_len(signed_doc, end - signed_doc);
  g_string_append_len(two, sig, end - sig);
  g_string_append(two, end);
  /* two endorsements (an empty one before the filled one) */
  g_autoptr(GString) more = g_string_new(o->doc);
  assert_int_equal(g_string_replace(more, "<slreq:endorsement rdf:parseType=\"Resource\"/>",
                                    "<slreq:endorsement rdf:parseType=\"Resource\"/>"
                                    "<slreq:endorsement rdf:parseType=\"Resource\"/>",
                                    1),
                   1);
  const GString *docs[] = {two, more};
  for (gsize i = 0; i < G_N_ELEMENTS(docs); i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *doc = sl_market_sign(docs[i]->str, docs[i]->len, o->pki->carl_c,
                                          "carl@example.org", NULL, &n, &error);
    if (doc == NULL)
      fail_msg("document %zu: %s", i, error->message);
    assert_int_equal(count(doc, "<Signature "), 1);
    assert_int_equal(count(doc, "endorsement rdf:parseType"), 1);
    g_autoptr(SlMarketSigner) signer = sl_market_verify(doc, n, &error);
    if (signer == NULL)
      fail_msg("document %zu: %s", i, error->message);
    assert_string_equal(signer->subject, TM_CARL_SUBJECT);
  }
}

/* The fill step fills an empty endorsement, keeps a filled one. */
static void
test_own_autogen(void **state)
{
  Own *o = *state;
  const SlMarketSigner *ada = sl_market_credentials_signer(o->pki->ada_c);
  const SlMarketSigner *carl = sl_market_credentials_signer(o->pki->carl_c);
  gsize n = 0, m = 0;
  g_autoptr(GError) error = NULL;
  g_autofree char *filled =
      sl_market_fill_endorsement(o->doc, o->len, ada, "example@example.org", NULL, &n, &error);
  assert_non_null(filled);
  assert_non_null(strstr(filled, "<email>" TM_ADA_EMAIL "</email>")); /* the cert's wins */
  g_autofree char *kept =
      sl_market_fill_endorsement(filled, n, carl, "carl@example.org", NULL, &m, &error);
  assert_non_null(kept);
  assert_non_null(strstr(kept, "<email>" TM_ADA_EMAIL "</email>"));
  assert_null(strstr(kept, "carl@example.org"));

  /* Without an e-mail in the certificate nor given; invalid e-mail. */
  assert_null(sl_market_fill_endorsement(o->doc, o->len, carl, NULL, NULL, &n, &error));
  assert_string_equal(error->message,
                      "cannot generate slreq:endorsement; email address not in cert or not "
                      "provided");
  g_clear_error(&error);
  assert_null(
      sl_market_fill_endorsement(o->doc, o->len, carl, "not@a@valid@address", NULL, &n, &error));
  assert_string_equal(error->message, "invalid email address: not@a@valid@address");
  g_clear_error(&error);
  g_autoptr(GString) none = g_string_new(o->doc);
  assert_int_equal(g_string_replace(none, "<slreq:endorsement rdf:parseType=\"Resource\"/>", "", 1),
                   1);
  assert_null(sl_market_sign(none->str, none->len, o->pki->ada_c, NULL, NULL, &n, &error));
  assert_string_equal(error->message, "document must contain exactly 1 slreq:endorsement element");
}

static void
test_own_build(void **state)
{
  Own *o = *state;
  g_autofree char *gzip = th_tool("gzip");
  g_autofree char *img = tm_image(o->pki->dir, "build.img", 3000, 11);
  g_autofree char *gz = g_strconcat(img, ".gz", NULL);
  g_autofree char *cmd = g_strdup_printf("%s -k -n -f '%s'", gzip, img);
  int status = 0;
  assert_true(g_spawn_command_line_sync(cmd, NULL, NULL, &status, NULL));
  assert_true(g_spawn_check_wait_status(status, NULL));
  g_autofree char *bytes = NULL;
  gsize size = 0;
  assert_true(g_file_get_contents(img, &bytes, &size, NULL));
  g_autofree char *sha1 = g_compute_checksum_for_data(G_CHECKSUM_SHA1, (guchar *)bytes, size);
  g_autofree char *md5 = g_compute_checksum_for_data(G_CHECKSUM_MD5, (guchar *)bytes, size);
  g_autofree char *id = sl_identifier_from_hex(sha1, NULL);

  g_autoptr(GDateTime) now = g_date_time_new_utc(2013, 6, 16, 12, 0, 0);
  const char *locations[] = {"http://example.org/build.img", NULL};
  SlMarketBuildInfo info = {.os = "ttylinux",
                            .os_version = "9.7",
                            .os_arch = "i486",
                            .version = "1.0",
                            .locations = locations,
                            .title = "test",
                            .alternative = "tag1",
                            .creator = "Ada",
                            .now = now};
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketEntry) e = sl_market_build(img, &info, &error);
  assert_non_null(e);
  assert_string_equal(e->identifier, id);
  assert_string_equal(e->sha1, sha1);
  assert_int_equal(e->bytes, size);
  assert_string_equal(e->valid, "2013-12-11T12:00:00Z"); /* + 178 days */
  assert_string_equal(e->compression, "");
  g_autofree char *name = sl_market_build_filename(e);
  assert_string_equal(name, "ttylinux-9.7-i486-base-1.0.xml");

  /* Same identifier from the gzip file: hashes of the uncompressed bytes. */
  g_autoptr(SlMarketEntry) z = sl_market_build(gz, &info, &error);
  assert_non_null(z);
  assert_string_equal(z->compression, "gz");
  assert_string_equal(z->identifier, e->identifier);
  assert_string_equal(sl_market_entry_checksum(z, "SHA-512"),
                      sl_market_entry_checksum(e, "SHA-512"));
  assert_string_equal(sl_market_entry_checksum(z, "MD5"), md5);

  /* The written document is valid, signs and verifies. */
  g_autofree char *xml = sl_market_entry_to_xml(e);
  g_autoptr(SlMarketEntry) back =
      sl_market_validate(xml, strlen(xml), SL_MARKET_CHECK_DOCUMENT, NULL, &error);
  if (back == NULL)
    fail_msg("%s\n%s", error->message, xml);
  assert_string_equal(back->alternative, "tag1");
  assert_string_equal(back->title, "test");
  assert_string_equal(back->creator, "Ada");
  assert_string_equal(back->image_created, "2013-06-16T12:00:00Z");
  assert_string_equal(back->disks_bus, "ide");
  gsize n = 0;
  g_autofree char *doc = sl_market_sign(xml, strlen(xml), o->pki->ada_c, NULL, NULL, &n, &error);
  assert_non_null(doc);
  g_autoptr(SlMarketEntry) s = sl_market_validate(doc, n, SL_MARKET_CHECK_ALL, NULL, &error);
  if (s == NULL)
    fail_msg("%s", error->message);

  /* Explicit validity, bad compression data, unknown compression. */
  info.valid = "2030-01-01T00:00:00Z";
  g_autoptr(SlMarketEntry) v = sl_market_build(img, &info, &error);
  assert_string_equal(v->valid, "2030-01-01T00:00:00Z");
  info.valid = "2030-13-01T00:00:00Z";
  assert_null(sl_market_build(img, &info, &error));
  g_clear_error(&error);
  info.valid = NULL;
  info.compression = "bz2";
  assert_null(sl_market_build(img, &info, &error));
  assert_non_null(strstr(error->message, "invalid bzip2 data"));
  g_clear_error(&error);
  info.compression = "zip";
  assert_null(sl_market_build(img, &info, &error));
  g_clear_error(&error);
  info.compression = NULL;
  assert_null(sl_market_build("/nonexistent.img", &info, &error));
  assert_int_equal(error->code, SL_ERROR_NOT_FOUND);
}

static void
test_own_deprecate(void **state)
{
  Own *o = *state;
  gsize len = 0, n = 0;
  g_autoptr(GDateTime) then = g_date_time_new_utc(2013, 6, 16, 12, 0, 0);
  g_autofree char *data = sl_market_sign(o->doc, o->len, o->pki->ada_c, NULL, then, &len, NULL);
  assert_non_null(data);
  g_autoptr(GError) error = NULL;
  g_autofree char *doc =
      sl_market_deprecate(data, len, NULL, o->pki->ada_c, NULL, NULL, &n, &error);
  if (doc == NULL)
    fail_msg("%s", error->message);
  g_autoptr(SlMarketEntry) old = sl_market_entry_parse(data, len, NULL);
  g_autoptr(SlMarketEntry) e = sl_market_validate(doc, n, SL_MARKET_CHECK_ALL, NULL, &error);
  if (e == NULL)
    fail_msg("%s\n%s", error->message, doc);
  assert_true(e->deprecated);
  assert_string_equal(e->deprecated_reason, "This image has been deprecated");
  assert_string_equal(e->identifier, old->identifier);
  assert_true(sl_market_entry_is_newer(e, old));
  g_autoptr(GDateTime) now = g_date_time_new_now_utc();
  assert_int_equal(sl_market_entry_status(e, now), SL_MARKET_STATUS_DEPRECATED);
  /* Deprecating again replaces the reason (still one element). */
  g_autofree char *again =
      sl_market_deprecate(doc, n, "gone", o->pki->ada_c, NULL, NULL, &n, &error);
  assert_non_null(again);
  assert_int_equal(count(again, "deprecated>"), 2);
  assert_non_null(strstr(again, ">gone</slterms:deprecated>"));
}

static void
test_own_threads(void **state)
{
  Own *o = *state;
  threads(o->pki->ada_c, o->doc, o->len);
}

/* ---- interoperability: the StratusLab 13.05 fixtures ------------------------ */

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_own_round_trip, own_setup, NULL),
      cmocka_unit_test_setup_teardown(test_own_xmlsec1_cross_check, own_setup, NULL),
      cmocka_unit_test_setup_teardown(test_own_endorser_inconsistency, own_setup, NULL),
      cmocka_unit_test_setup_teardown(test_own_sign_partial, own_setup, NULL),
      cmocka_unit_test_setup_teardown(test_own_autogen, own_setup, NULL),
      cmocka_unit_test_setup_teardown(test_own_build, own_setup, NULL),
      cmocka_unit_test_setup_teardown(test_own_deprecate, own_setup, NULL),
      cmocka_unit_test_setup_teardown(test_own_threads, own_setup, NULL),
      cmocka_unit_test(test_fixture_round_trip),
      cmocka_unit_test(test_fixture_endorser_inconsistency),
      cmocka_unit_test(test_fixture_sign_partial),
      cmocka_unit_test(test_fixture_autogen),
      cmocka_unit_test(test_fixture_build),
      cmocka_unit_test(test_fixture_deprecate),
      cmocka_unit_test(test_fixture_threads),
  };
  return cmocka_run_group_tests(tests, NULL, own_teardown_all);
}
