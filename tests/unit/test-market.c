/* test-market.c - Marketplace metadata (protocols.md §5.2-§5.4): verdicts,
 * fields, status and ordering of entries the test builds and signs with its own
 * PKI; then, as interoperability checks (skipped without ../shared/fixtures),
 * every StratusLab 13.05 fixture's verdict. */
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

/* ---- core: entries made by the test ---------------------------------------- */

typedef struct {
  TmPki *pki;
  char *image;
} Own;

static Own own; /* made once for the program (RSA keys take time) */

static int
own_setup(void **state)
{
  if (!own.pki) {
    own.pki = tm_pki_new();
    own.image = tm_image(own.pki->dir, "test.img", 4096, 7);
  }
  *state = &own;
  return 0;
}

static int
own_teardown_all(void **state)
{
  (void)state;
  g_free(own.image);
  tm_pki_free(own.pki);
  return 0;
}

/* doc with the first `from` replaced by `to`. */
static char *
edit(const char *doc, const char *from, const char *to)
{
  g_autoptr(GString) s = g_string_new(doc);
  if (g_string_replace(s, from, to, 1) != 1)
    fail_msg("'%s' not in the document", from);
  return g_string_free(g_steal_pointer(&s), FALSE);
}

/* The verdict on doc: accepted (keyword NULL) or refused with keyword in the message. */
static void
expect_verdict(const char *what, const char *doc, gboolean is_signed, const char *keyword)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketSigner) signer = NULL;
  SlMarketChecks checks =
      SL_MARKET_CHECK_DOCUMENT |
      (is_signed ? SL_MARKET_CHECK_SIGNATURE : SL_MARKET_CHECK_SIGNATURE_IF_PRESENT);
  g_autoptr(SlMarketEntry) e = sl_market_validate(doc, strlen(doc), checks, &signer, &error);
  if (!keyword) {
    if (!e)
      fail_msg("%s rejected: %s", what, error->message);
    if (is_signed) {
      assert_non_null(signer);
      assert_string_equal(signer->subject, e->subject);
      assert_true(e->has_signature);
    }
    return;
  }
  if (e)
    fail_msg("%s accepted, expected '%s'", what, keyword);
  assert_int_equal(error->code, SL_ERROR_INVALID);
  if (!strstr(error->message, keyword))
    fail_msg("%s: message '%s' lacks '%s'", what, error->message, keyword);
}

static void
test_own_verdicts(void **state)
{
  Own *o = *state;
  gsize len = 0;
  g_autofree char *doc = tm_entry(o->image, NULL, NULL, &len);
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketEntry) e = sl_market_validate(doc, len, SL_MARKET_CHECK_DOCUMENT, NULL, &error);
  assert_non_null(e);
  g_autofree char *img = NULL;
  gsize img_len = 0;
  assert_true(g_file_get_contents(o->image, &img, &img_len, NULL));
  g_autofree char *sha1 = g_compute_checksum_for_data(G_CHECKSUM_SHA1, (guchar *)img, img_len);
  assert_string_equal(e->sha1, sha1);
  g_autofree char *id = sl_market_entry_key(e);
  expect_verdict("unsigned entry", doc, FALSE, NULL);

  g_autofree char *ada = NULL, *carl = NULL;
  gsize n = 0;
  ada = sl_market_sign(doc, len, o->pki->ada_c, NULL, NULL, &n, &error);
  assert_non_null(ada);
  expect_verdict("entry signed by Ada", ada, TRUE, NULL);
  carl = sl_market_sign(doc, len, o->pki->carl_c, "carl@example.org", NULL, &n, &error);
  assert_non_null(carl);
  expect_verdict("entry signed by Carl (CA-issued)", carl, TRUE, NULL);
  g_autoptr(SlMarketSigner) s = sl_market_verify(carl, n, &error);
  assert_non_null(s);
  assert_string_equal(s->issuer, TM_CA_SUBJECT);

  /* One rule broken at a time. */
  g_autofree char *about = g_strdup_printf("rdf:about=\"#%s\"", e->identifier);
  g_autofree char *about_bad = g_strdup_printf("rdf:about=\"#%.16s\"", e->identifier);
  g_autofree char *about_kw = g_strdup_printf("rdf:about \"#%.16s\"", e->identifier);
  struct {
    const char *from, *to, *keyword;
  } bad[] = {
      {about, about_bad, about_kw},
      {"<slreq:checksum rdf:parseType=\"Resource\">", "<slreq:checksum rdf:parseType=\"BAD\">",
       "slreq:checksum must have rdf:parseType=\"Resource\" (found \"BAD\")"},
      {"<slreq:endorsement rdf:parseType=\"Resource\"/>",
       "<slreq:endorsement rdf:parseType=\"X\"/>", "slreq:endorsement must have rdf:parseType"},
      {sha1, "XYZ", "\"XYZ\" is not hexadecimal"},
      {"xml:base=\"http://mp.stratuslab.eu/\"", "xml:base=\"http://example.org/\"",
       "xml:base attribute with value http://mp.stratuslab.eu/"},
      {"<dcterms:publisher>",
       "<slterms:inbound-port>65536</slterms:inbound-port><dcterms:publisher>",
       "slterms:inbound-port 65536 is out of range"},
      {"<dcterms:publisher>", "<slterms:icmp>65536</slterms:icmp><dcterms:publisher>",
       "slterms:icmp 65536 is out of range"},
      {"<dcterms:publisher>", "<slterms:serial-number>X</slterms:serial-number><dcterms:publisher>",
       "slterms:serial-number \"X\" is not a non-negative integer"},
      {"</rdf:RDF>", "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"/></rdf:RDF>",
       "invalid signature element"},
  };
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autofree char *mutated = edit(doc, bad[i].from, bad[i].to);
    expect_verdict(bad[i].to, mutated, FALSE, bad[i].keyword);
  }
  /* A bad endorsement date. */
  g_autoptr(GDateTime) at = g_date_time_new_utc(2013, 6, 16, 12, 0, 0);
  gsize flen = 0;
  g_autofree char *filled = sl_market_fill_endorsement(
      doc, len, sl_market_credentials_signer(o->pki->ada_c), NULL, at, &flen, &error);
  assert_non_null(filled);
  expect_verdict("filled endorsement", filled, FALSE, NULL);
  g_autofree char *mutated = edit(filled, "2013-06-16T12:00:00Z", "2013-06-16X12:00:00Z");
  expect_verdict("bad endorsement date", mutated, FALSE, "dcterms:created value (2013-06-16X");
}

/* The upload rule set (no schema, signature required). */
static void
test_own_upload_checks(void **state)
{
  Own *o = *state;
  gsize len = 0;
  g_autofree char *data = tm_entry(o->image, NULL, NULL, &len);
  g_autoptr(GError) error = NULL;
  assert_null(sl_market_validate(data, len, SL_MARKET_CHECK_UPLOAD, NULL, &error));
  assert_string_equal(error->message, "no signature");
  g_clear_error(&error);
  g_autofree char *junk = edit(
      data, "</rdf:RDF>", "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"/></rdf:RDF>");
  assert_null(sl_market_verify(junk, strlen(junk), &error));
  assert_true(g_str_has_prefix(error->message, "invalid signature element"));
}

static void
test_own_entry_fields(void **state)
{
  Own *o = *state;
  g_autoptr(GDateTime) built = g_date_time_new_utc(2012, 1, 30, 8, 33, 23);
  g_autoptr(GDateTime) signed_at = g_date_time_new_utc(2012, 9, 13, 13, 13, 38);
  gsize len = 0;
  g_autofree char *doc =
      tm_signed_entry(o->image, built, "2020-12-31T00:00:00Z", o->pki->ada_c, signed_at, &len);
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketSigner) signer = NULL;
  g_autoptr(SlMarketEntry) e = sl_market_validate(doc, len, SL_MARKET_CHECK_ALL, &signer, &error);
  if (!e)
    fail_msg("%s", error->message);
  g_autofree char *img = NULL;
  gsize img_len = 0;
  assert_true(g_file_get_contents(o->image, &img, &img_len, NULL));
  g_autofree char *sha1 = g_compute_checksum_for_data(G_CHECKSUM_SHA1, (guchar *)img, img_len);
  g_autofree char *md5 = g_compute_checksum_for_data(G_CHECKSUM_MD5, (guchar *)img, img_len);
  g_autofree char *id = sl_identifier_from_hex(sha1, NULL);
  assert_string_equal(e->identifier, id);
  assert_string_equal(e->sha1, sha1);
  assert_int_equal(e->bytes, img_len);
  assert_int_equal(e->checksums->len, 4);
  assert_string_equal(sl_market_entry_checksum(e, "MD5"), md5);
  assert_string_equal(e->email, TM_ADA_EMAIL);
  assert_string_equal(e->subject, TM_ADA_SUBJECT);
  assert_string_equal(signer->issuer, TM_ADA_SUBJECT);
  assert_string_equal(signer->email, TM_ADA_EMAIL);
  assert_string_equal(e->created, "2012-09-13T13:13:38Z");
  assert_string_equal(e->image_created, "2012-01-30T08:33:23Z");
  assert_string_equal(e->valid, "2020-12-31T00:00:00Z");
  assert_string_equal(e->os, "ttylinux");
  assert_string_equal(e->os_version, "9.7");
  assert_string_equal(e->os_arch, "i486");
  assert_string_equal(e->version, "1.0");
  assert_string_equal(e->kind, "machine");
  assert_string_equal(e->type, "base");
  assert_string_equal(e->format, "raw");
  assert_int_equal(e->locations->len, 1);
  assert_false(e->deprecated);
  g_autofree char *key = sl_market_entry_key(e);
  g_autofree char *want_key = g_strdup_printf("%s/%s/2012-09-13T13:13:38Z", id, TM_ADA_EMAIL);
  assert_string_equal(key, want_key);
  g_autoptr(GDateTime) in2013 = g_date_time_new_utc(2013, 1, 1, 0, 0, 0);
  g_autoptr(GDateTime) in2021 = g_date_time_new_utc(2021, 1, 1, 0, 0, 0);
  assert_int_equal(sl_market_entry_status(e, in2013), SL_MARKET_STATUS_VALID);
  assert_int_equal(sl_market_entry_status(e, in2021), SL_MARKET_STATUS_EXPIRED);
  assert_string_equal(sl_market_status_name(SL_MARKET_STATUS_EXPIRED), "expired");

  gsize dlen = 0;
  g_autofree char *dep = sl_market_deprecate(doc, len, "security issue with app", o->pki->ada_c,
                                             NULL, NULL, &dlen, &error);
  assert_non_null(dep);
  g_autoptr(SlMarketEntry) d = sl_market_validate(dep, dlen, SL_MARKET_CHECK_ALL, NULL, &error);
  assert_non_null(d);
  assert_true(d->deprecated);
  assert_string_equal(d->deprecated_reason, "security issue with app");
  assert_int_equal(sl_market_entry_status(d, in2013), SL_MARKET_STATUS_DEPRECATED);
}

/* "older than latest": one entry signed at three instants. */
static void
test_own_ordering(void **state)
{
  Own *o = *state;
  SlMarketEntry *e[3];
  for (int i = 0; i < 3; i++) {
    g_autoptr(GDateTime) at = g_date_time_new_utc(2013, 3, 1 + i, 12, 0, 0);
    gsize len = 0;
    g_autofree char *doc = tm_signed_entry(o->image, NULL, NULL, o->pki->ada_c, at, &len);
    e[i] = sl_market_entry_parse(doc, len, NULL);
    assert_non_null(e[i]);
  }
  assert_true(sl_market_entry_is_newer(e[2], e[1]));
  assert_true(sl_market_entry_is_newer(e[1], e[0]));
  assert_true(sl_market_entry_compare_created(e[1], e[2]) < 0);
  assert_false(sl_market_entry_is_newer(e[1], e[1]));
  assert_false(sl_market_entry_is_newer(e[0], e[2]));
  for (int i = 0; i < 3; i++)
    sl_market_entry_free(e[i]);
}

static void
test_own_p12(void **state)
{
  Own *o = *state;
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketCredentials) ada =
      sl_market_credentials_load_p12(o->pki->ada_p12, TM_P12_PASSWORD, &error);
  assert_non_null(ada);
  const SlMarketSigner *s = sl_market_credentials_signer(ada);
  assert_string_equal(s->subject, TM_ADA_SUBJECT);
  assert_string_equal(s->issuer, s->subject);
  assert_string_equal(s->email, TM_ADA_EMAIL);
  g_autoptr(SlMarketCredentials) carl =
      sl_market_credentials_load_p12(o->pki->carl_p12, TM_P12_PASSWORD, &error);
  assert_non_null(carl);
  s = sl_market_credentials_signer(carl);
  assert_string_equal(s->subject, TM_CARL_SUBJECT);
  assert_string_equal(s->issuer, TM_CA_SUBJECT);
  assert_null(s->email);

  assert_null(sl_market_credentials_load_p12(o->pki->ada_p12, "wrong", &error));
  assert_int_equal(error->code, SL_ERROR_UNAUTHORIZED);
  g_clear_error(&error);
  assert_null(sl_market_credentials_load_p12("/nonexistent.p12", "x", &error));
  assert_int_equal(error->code, SL_ERROR_NOT_FOUND);
}

/* ---- interoperability: the StratusLab 13.05 fixtures ------------------------ */

/* Expected verdict of each fixture. NULL keyword = accepted. */
typedef struct {
  const char *file;
  const char *keyword; /* distinctive part of the rejection message */
  gboolean is_signed;  /* carries a real signature that must verify */
} Verdict;

static const Verdict verdicts[] = {
    /* metadata-test-resources: one file per rule */
    {"metadata-test-resources/valid-minimal.xml", NULL, FALSE},
    {"metadata-test-resources/valid-full.xml", NULL, FALSE},
    {"metadata-test-resources/valid-full-alt-cimi.xml", NULL, FALSE},
    {"metadata-test-resources/valid-minimal-empty-endorsement.xml", NULL, FALSE},
    {"metadata-test-resources/valid-minimal-leading-zero-sha1.xml", NULL, FALSE},
    {"metadata-test-resources/valid-minimal-signature.xml", "invalid signature element", FALSE},
    {"metadata-test-resources/valid-full-signature.xml", NULL, TRUE},
    {"metadata-test-resources/valid-ca-signed.xml", NULL, TRUE},
    {"metadata-test-resources/invalid-bad-about-id.xml", "rdf:about \"#MMZu9WvwKIro-rtBQ\"", FALSE},
    {"metadata-test-resources/invalid-bad-checksum-parsetype.xml",
     "slreq:checksum must have rdf:parseType=\"Resource\" (found \"BAD\")", FALSE},
    {"metadata-test-resources/invalid-bad-element-for-signature.xml",
     "unexpected element rdf:Description in rdf:RDF", FALSE},
    {"metadata-test-resources/invalid-bad-endorsement-parsetype.xml",
     "slreq:endorsement must have rdf:parseType", FALSE},
    {"metadata-test-resources/invalid-bad-endorser-parsetype.xml",
     "slreq:endorser must have rdf:parseType", FALSE},
    {"metadata-test-resources/invalid-bad-icmp-value.xml", "slterms:icmp 65536 is out of range",
     FALSE},
    {"metadata-test-resources/invalid-bad-inbound-port.xml",
     "slterms:inbound-port 65536 is out of range", FALSE},
    {"metadata-test-resources/invalid-bad-outbound-port.xml",
     "slterms:outbound-port 65536 is out of range", FALSE},
    {"metadata-test-resources/invalid-bad-serial-number.xml",
     "slterms:serial-number \"X\" is not a non-negative integer", FALSE},
    {"metadata-test-resources/invalid-bad-xml-base.xml",
     "xml:base attribute with value http://mp.stratuslab.eu/", FALSE},
    {"metadata-test-resources/invalid-checksum-value.xml", "\"XYZ\" is not hexadecimal", FALSE},
    {"metadata-test-resources/invalid-created-date-1.xml",
     "dcterms:created value (2011-01-24X09:59:42Z)", FALSE},
    {"metadata-test-resources/invalid-created-date-2.xml",
     "dcterms:created value (2011-01-24T99:59:42Z)", FALSE},
    {"metadata-test-resources/invalid-dcterms-type.xml", "dcterms:type cannot have child", FALSE},
    {"metadata-test-resources/invalid-email.xml", "is not a valid email address", FALSE},
    {"metadata-test-resources/invalid-inconsistent-checksum.xml",
     "checksum from identifier (c319bbd5afc0a22ba3eaed0507c39383ec28eeff) and SHA-1", FALSE},
    {"metadata-test-resources/invalid-inconsistent-identifiers.xml",
     "rdf:about attribute (#MMZu9WvwKIro-rtBQfDk4PsKO7_) and dcterms:identifier", FALSE},
    {"metadata-test-resources/invalid-multiple-deprecated.xml",
     "at most 1 slterms:deprecated element", FALSE},
    {"metadata-test-resources/invalid-multiple-os-arch.xml", "at most 1 slterms:os-arch element",
     FALSE},
    {"metadata-test-resources/invalid-multiple-os-version.xml",
     "at most 1 slterms:os-version element", FALSE},
    {"metadata-test-resources/invalid-multiple-os.xml", "at most 1 slterms:os element", FALSE},
    {"metadata-test-resources/invalid-multiple-serial-numbers.xml",
     "at most 1 slterms:serial-number element", FALSE},
    {"metadata-test-resources/invalid-multiple-versions.xml", "at most 1 slterms:version element",
     FALSE},
    {"metadata-test-resources/invalid-no-content.xml", "must contain one rdf:Description", FALSE},
    {"metadata-test-resources/invalid-no-endorsement.xml", "missing slreq:endorsement", FALSE},
    {"metadata-test-resources/invalid-no-endorser.xml",
     "must contain slreq:endorser after dcterms:created", FALSE},
    {"metadata-test-resources/invalid-no-xml-base.xml", "must have an xml:base attribute", FALSE},
    {"metadata-test-resources/invalid-rdf-attribute.xml",
     "invalid RDF/XML: property element ex:dummy with a text value", FALSE},
    {"metadata-test-resources/invalid-rdf-resource.xml",
     "invalid RDF/XML: property element ex:dummy must contain exactly one node element", FALSE},
    {"metadata-test-resources/invalid-valid-date-1.xml",
     "dcterms:valid value (2011-01-24X09:59:42Z) is not a valid date", FALSE},
    {"metadata-test-resources/invalid-valid-date-2.xml",
     "dcterms:valid value (2011-01-24T99:59:42Z) is not a valid date", FALSE},
    /* marketplace-test-resources: signed entries of the server tests */
    {"marketplace-test-resources/invalid-special-characters-signature.xml", NULL, TRUE},
    {"marketplace-test-resources/valid-alternative-newid.xml", NULL, TRUE},
    {"marketplace-test-resources/valid-alternative.xml", NULL, TRUE},
    {"marketplace-test-resources/valid-ca-signed.xml", NULL, TRUE},
    {"marketplace-test-resources/valid-expired-signature.xml", NULL, TRUE},
    {"marketplace-test-resources/valid-indate-deprecated-signature.xml", NULL, TRUE},
    {"marketplace-test-resources/valid-indate-newer-signature.xml", NULL, TRUE},
    {"marketplace-test-resources/valid-indate-older-signature.xml", NULL, TRUE},
    {"marketplace-test-resources/valid-indate-signature.xml", NULL, TRUE},
    {"marketplace-test-resources/valid-two-locations.xml", NULL, TRUE},
    {"marketplace-test-resources/valid.xml", NULL, FALSE},
    /* the real production entry */
    {"client/manifest-invalid-sha1.xml", NULL, TRUE},
};

/* Files of the fixture folders that are not single entries, with the test
 * that covers them. */
static const char *const other_files[] = {
    "metadata-test-resources/partial-multiple-endorsements.xml", /* test_sign_partial */
    "metadata-test-resources/partial-multiple-signatures.xml",   /* test_sign_partial */
    "metadata-test-resources/autogen-endorsement-done.xml",      /* test_autogen */
    "metadata-test-resources/autogen-endorsement-not-done.xml",  /* test_autogen */
};

static const Verdict *
find_verdict(const char *rel)
{
  for (gsize i = 0; i < G_N_ELEMENTS(verdicts); i++)
    if (strcmp(verdicts[i].file, rel) == 0)
      return &verdicts[i];
  return NULL;
}

static gboolean
check_verdict(const Verdict *v)
{
  gsize len = 0;
  g_autofree char *data = th_read_fixture(v->file, &len);
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketSigner) signer = NULL;
  SlMarketChecks checks =
      SL_MARKET_CHECK_DOCUMENT |
      (v->is_signed ? SL_MARKET_CHECK_SIGNATURE : SL_MARKET_CHECK_SIGNATURE_IF_PRESENT);
  g_autoptr(SlMarketEntry) e = sl_market_validate(data, len, checks, &signer, &error);
  if (v->keyword == NULL) {
    if (e == NULL) {
      print_error("%s rejected: %s\n", v->file, error->message);
      return FALSE;
    }
    assert_non_null(e->identifier);
    assert_non_null(e->sha1);
    if (v->is_signed) {
      assert_non_null(signer);
      assert_string_equal(signer->subject, e->subject);
      assert_string_equal(signer->issuer, e->issuer);
      assert_true(e->has_signature);
    }
  } else {
    if (e != NULL) {
      print_error("%s accepted, expected '%s'\n", v->file, v->keyword);
      return FALSE;
    }
    assert_int_equal(error->code, SL_ERROR_INVALID);
    if (strstr(error->message, v->keyword) == NULL) {
      print_error("%s: message '%s' lacks '%s'\n", v->file, error->message, v->keyword);
      return FALSE;
    }
  }
  return TRUE;
}

static void
test_fixture_verdicts(void **state)
{
  (void)state;
  th_need_fixtures(); /* first: a skip leaves by longjmp */
  int failed = 0;
  for (gsize i = 0; i < G_N_ELEMENTS(verdicts); i++)
    failed += check_verdict(&verdicts[i]) ? 0 : 1;
  assert_int_equal(failed, 0);
}

/* Every XML file of the fixture folders has a verdict or a dedicated test. */
static void
test_fixture_coverage(void **state)
{
  (void)state;
  th_need_fixtures(); /* first: a skip leaves by longjmp */
  const char *dirs[] = {"metadata-test-resources", "marketplace-test-resources"};
  for (gsize d = 0; d < G_N_ELEMENTS(dirs); d++) {
    g_autofree char *path = th_fixture(dirs[d]);
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    assert_non_null(dir);
    for (const char *name; (name = g_dir_read_name(dir));) {
      if (!g_str_has_suffix(name, ".xml"))
        continue;
      g_autofree char *rel = g_build_filename(dirs[d], name, NULL);
      gboolean other = FALSE;
      for (gsize i = 0; i < G_N_ELEMENTS(other_files); i++)
        other = other || strcmp(other_files[i], rel) == 0;
      if (!other && find_verdict(rel) == NULL)
        fail_msg("fixture %s has no expected verdict", rel);
    }
  }
}

/* The upload rule set (no schema, signature required). */
static void
test_fixture_upload_checks(void **state)
{
  (void)state;
  th_need_fixtures(); /* first: a skip leaves by longjmp */
  gsize len = 0;
  g_autofree char *data = th_read_fixture("marketplace-test-resources/valid.xml", &len);
  g_autoptr(GError) error = NULL;
  assert_null(sl_market_validate(data, len, SL_MARKET_CHECK_UPLOAD, NULL, &error));
  assert_string_equal(error->message, "no signature");
  g_clear_error(&error);
  g_free(g_steal_pointer(&data));
  data = th_read_fixture("metadata-test-resources/valid-minimal-signature.xml", &len);
  assert_null(sl_market_verify(data, len, &error));
  assert_true(g_str_has_prefix(error->message, "invalid signature element"));
}

static void
test_fixture_entry_fields(void **state)
{
  (void)state;
  th_need_fixtures(); /* first: a skip leaves by longjmp */
  gsize len = 0;
  g_autofree char *data = th_read_fixture("client/manifest-invalid-sha1.xml", &len);
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketSigner) signer = NULL;
  g_autoptr(SlMarketEntry) e = sl_market_validate(data, len, SL_MARKET_CHECK_ALL, &signer, &error);
  assert_non_null(e);
  assert_string_equal(e->identifier, "JcqGhHxmTRAEpHMmRF-xhSTM3TO");
  assert_string_equal(e->sha1, "972a1a11f19934401291cc99117ec614933374ce");
  assert_int_equal(e->bytes, 4);
  assert_int_equal(e->checksums->len, 4);
  assert_string_equal(sl_market_entry_checksum(e, "MD5"), "5c9597f3c8245907ea71a89d9d39d08e");
  assert_string_equal(e->email, "Konstantin.Skaburskas@cern.ch");
  assert_string_equal(e->subject, "CN=Konstantin Skaburskas,CN=658461,CN=kskaburs,OU=Users,"
                                  "OU=Organic Units,DC=cern,DC=ch");
  assert_string_equal(signer->issuer, "CN=CERN Trusted Certification Authority,DC=cern,DC=ch");
  assert_string_equal(signer->email, "Konstantin.Skaburskas@cern.ch");
  assert_string_equal(e->created, "2012-09-13T13:13:38Z");
  assert_string_equal(e->image_created, "2012-01-30T08:33:23Z");
  assert_string_equal(e->valid, "2020-12-31T00:00:00Z");
  assert_string_equal(e->os, "fedora");
  assert_string_equal(e->os_version, "14");
  assert_string_equal(e->os_arch, "i386");
  assert_string_equal(e->version, "0.1");
  assert_string_equal(e->kind, "machine");
  assert_string_equal(e->type, "base");
  assert_string_equal(e->compression, "gz");
  assert_string_equal(e->format, "raw");
  assert_int_equal(e->locations->len, 1);
  assert_false(e->deprecated);
  g_autofree char *key = sl_market_entry_key(e);
  assert_string_equal(key, "JcqGhHxmTRAEpHMmRF-xhSTM3TO/Konstantin.Skaburskas@cern.ch/"
                           "2012-09-13T13:13:38Z");
  g_autoptr(GDateTime) in2013 = g_date_time_new_utc(2013, 1, 1, 0, 0, 0);
  g_autoptr(GDateTime) in2021 = g_date_time_new_utc(2021, 1, 1, 0, 0, 0);
  assert_int_equal(sl_market_entry_status(e, in2013), SL_MARKET_STATUS_VALID);
  assert_int_equal(sl_market_entry_status(e, in2021), SL_MARKET_STATUS_EXPIRED);
  assert_string_equal(sl_market_status_name(SL_MARKET_STATUS_EXPIRED), "expired");

  g_autofree char *full = th_read_fixture("metadata-test-resources/valid-full.xml", &len);
  g_autoptr(SlMarketEntry) f = sl_market_entry_parse(full, len, &error);
  assert_non_null(f);
  assert_true(f->deprecated);
  assert_string_equal(f->deprecated_reason, "security issue with app");
  assert_int_equal(sl_market_entry_status(f, in2013), SL_MARKET_STATUS_DEPRECATED);
  assert_int_equal(g_array_index(f->inbound_ports, guint, 0), 443);
  assert_int_equal(g_array_index(f->outbound_ports, guint, 0), 25);
  assert_int_equal(g_array_index(f->icmp, guint, 0), 8);
  assert_string_equal(f->serial_number, "0");
}

/* "older than latest" and status of the marketplace server fixtures. */
static void
test_fixture_ordering(void **state)
{
  (void)state;
  th_need_fixtures(); /* first: a skip leaves by longjmp */
  const char *names[] = {"marketplace-test-resources/valid-indate-older-signature.xml",
                         "marketplace-test-resources/valid-indate-signature.xml",
                         "marketplace-test-resources/valid-indate-newer-signature.xml"};
  SlMarketEntry *e[3];
  for (int i = 0; i < 3; i++) {
    gsize len = 0;
    g_autofree char *data = th_read_fixture(names[i], &len);
    e[i] = sl_market_entry_parse(data, len, NULL);
    assert_non_null(e[i]);
  }
  assert_true(sl_market_entry_is_newer(e[2], e[1]));
  assert_true(sl_market_entry_compare_created(e[1], e[2]) < 0);
  assert_false(sl_market_entry_is_newer(e[1], e[1]));
  for (int i = 0; i < 3; i++)
    sl_market_entry_free(e[i]);
}

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

static void
test_fixture_p12(void **state)
{
  (void)state;
  th_need_fixtures(); /* first: a skip leaves by longjmp */
  g_autoptr(SlMarketCredentials) jane = load_creds("test.p12");
  const SlMarketSigner *s = sl_market_credentials_signer(jane);
  assert_string_equal(s->subject, "CN=Jane Tester,OU=Testing Department,O=StratusLab Project,C=EU");
  assert_string_equal(s->issuer, s->subject);
  assert_string_equal(s->email, "jane.tester@example.org");
  assert_string_equal(s->not_before, "2011-02-12T10:29:11Z");
  g_autoptr(SlMarketCredentials) jim = load_creds("test-ca-signed.p12");
  s = sl_market_credentials_signer(jim);
  assert_true(g_str_has_prefix(s->subject, "CN=Jim Tester,"));
  assert_true(g_str_has_prefix(s->issuer, "CN=Certificate Authority,"));

  g_autofree char *path = th_fixture("metadata-test-resources/test.p12");
  g_autoptr(GError) error = NULL;
  assert_null(sl_market_credentials_load_p12(path, "wrong", &error));
  assert_int_equal(error->code, SL_ERROR_UNAUTHORIZED);
  g_clear_error(&error);
  assert_null(sl_market_credentials_load_p12("/nonexistent.p12", "x", &error));
  assert_int_equal(error->code, SL_ERROR_NOT_FOUND);
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_own_verdicts, own_setup, NULL),
      cmocka_unit_test_setup_teardown(test_own_upload_checks, own_setup, NULL),
      cmocka_unit_test_setup_teardown(test_own_entry_fields, own_setup, NULL),
      cmocka_unit_test_setup_teardown(test_own_ordering, own_setup, NULL),
      cmocka_unit_test_setup_teardown(test_own_p12, own_setup, NULL),
      cmocka_unit_test(test_fixture_verdicts),
      cmocka_unit_test(test_fixture_coverage),
      cmocka_unit_test(test_fixture_upload_checks),
      cmocka_unit_test(test_fixture_entry_fields),
      cmocka_unit_test(test_fixture_ordering),
      cmocka_unit_test(test_fixture_p12),
  };
  return cmocka_run_group_tests(tests, NULL, own_teardown_all);
}
