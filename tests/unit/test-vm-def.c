/* test-vm-def.c - conf/vm-def: the stored form (rows written by older
 * versions read back identically), the JSON members of a request, copy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <string.h>

#include "conf/vm-def.h"
#include "util/error.h"

/* Spec columns exactly as the code before conf/vm-def.c wrote them. */
static const char *const old_rows[] = {
    "{\"context\":{\"A\":\"b\",\"HOSTNAME\":\"x\"},\"image_kind\":\"raw\",\"image_path\":"
    "\"/d/images/X.img\",\"network\":\"public\",\"outbound\":false,\"ports\":[22,80,443],"
    "\"public_key\":\"ssh-rsa K\",\"type\":\"m1.small\",\"volatile_disk\":0}",
    "{\"context\":{},\"fetch\":{\"bytes\":1048576,\"checksums\":[[\"SHA-1\",\"ab\"],[\"MD5\","
    "\"cd\"]],\"compression\":\"gz\",\"entry\":\"<rdf/>\",\"locations\":[\"https://h/a.gz\","
    "\"file:///b.gz\"]},\"network\":\"public\",\"outbound\":true,\"ports\":[22],"
    "\"readonly_disks\":[{\"id\":\"R1\",\"image_kind\":\"qcow2\",\"image_path\":\"/r1\"},"
    "{\"fetch\":{\"bytes\":5,\"checksums\":[],\"compression\":\"\",\"entry\":\"<e/>\","
    "\"locations\":[\"http://h/r2\"]},\"id\":\"R2\"}],\"save\":{\"author\":\"Joe\","
    "\"author_email\":\"j@example.org\",\"comment\":\"c\",\"image_version\":\"1.0\","
    "\"marketplace\":\"https://mp\",\"title\":\"t\"},\"volatile_disk\":3}",
};

static void
test_old_rows_round_trip(void **state)
{
  (void)state;
  for (size_t i = 0; i < G_N_ELEMENTS(old_rows); i++) {
    g_autoptr(GError) error = NULL;
    g_autoptr(SlVmDef) d = sl_vm_def_parse(old_rows[i], &error);
    assert_null(error);
    g_autofree char *text = sl_vm_def_format(d);
    assert_string_equal(text, old_rows[i]);
    g_autoptr(SlVmDef) c = sl_vm_def_copy(d);
    g_autofree char *copied = sl_vm_def_format(c);
    assert_string_equal(copied, old_rows[i]);
  }
  g_autoptr(SlVmDef) d = sl_vm_def_parse(old_rows[1], NULL);
  assert_int_equal(d->volatile_disk, 3);
  assert_true(d->outbound);
  assert_null(d->root->path);
  assert_string_equal(d->root->fetch->locations[1], "file:///b.gz");
  assert_string_equal(d->root->fetch->checksums[2], "MD5");
  assert_int_equal(d->readonly->len, 2);
  SlVmDefImage *r2 = d->readonly->pdata[1];
  assert_string_equal(r2->id, "R2");
  assert_int_equal(r2->fetch->bytes, 5);
  assert_string_equal(d->save->marketplace, "https://mp");
  g_autoptr(SlVmDef) a = sl_vm_def_parse(old_rows[0], NULL);
  assert_string_equal(sl_vm_def_context_get(a, "HOSTNAME"), "x");
  assert_null(sl_vm_def_context_get(a, "NOPE"));
  assert_string_equal(a->root->format, "raw");
  assert_int_equal(a->ports->len, 3);
}

static void
test_empty_and_bad(void **state)
{
  (void)state;
  g_autoptr(SlVmDef) d = sl_vm_def_parse(NULL, NULL);
  assert_non_null(d);
  assert_null(d->root);
  g_autoptr(SlVmDef) e = sl_vm_def_parse("{}", NULL);
  assert_non_null(e);
  assert_null(e->save);
  g_autoptr(GError) error = NULL;
  assert_null(sl_vm_def_parse("[1]", &error));
  assert_true(g_error_matches(error, SL_ERROR, SL_ERROR_INVALID));
}

static void
test_request_members(void **state)
{
  (void)state;
  g_autoptr(SlVmDef) d = sl_vm_def_new();
  assert_int_equal(d->cpu, -1);
  g_autoptr(GError) error = NULL;
  json_t *ctx = json_pack("{s:s, s:s}", "b", "1", "a", "2");
  assert_true(sl_vm_def_set_json(d, "context", ctx, &error));
  json_decref(ctx);
  assert_string_equal(d->context[0], "b"); /* the request's order */
  assert_string_equal(d->context[3], "2");
  json_t *bad = json_pack("{s:i}", "a", 1);
  assert_false(sl_vm_def_set_json(d, "context", bad, &error));
  json_decref(bad);
  assert_string_equal(error->message, "context must be an object of KEY: value");
  g_clear_error(&error);
  json_t *ids = json_pack("[s, s]", "R1", "R2");
  assert_true(sl_vm_def_set_json(d, "readonly_disks", ids, &error));
  json_decref(ids);
  assert_int_equal(d->readonly->len, 2);
  json_t *mixed = json_pack("[s, i]", "u", 3);
  assert_false(sl_vm_def_set_json(d, "persistent_disks", mixed, &error));
  json_decref(mixed);
  g_clear_error(&error);
  json_t *save = json_pack("{s:s, s:i}", "author", "Joe", "title", 4);
  assert_false(sl_vm_def_set_json(d, "save", save, &error));
  json_decref(save);
  assert_string_equal(error->message, "save: title must be a non-empty one-line string");
}

/* inbound_ports (docs/network.md): numbers or strings of TCP ports, at most 32. */
static void
test_inbound_ports(void **state)
{
  (void)state;
  g_autoptr(SlVmDef) d = sl_vm_def_new();
  g_autoptr(GError) error = NULL;
  json_t *ok = json_loads("[8080, \"9000\"]", 0, NULL);
  assert_true(sl_vm_def_set_json(d, "inbound_ports", ok, &error));
  json_decref(ok);
  assert_int_equal(d->ports->len, 2);
  assert_int_equal(g_array_index(d->ports, guint16, 1), 9000);
  const char *bad[] = {"[0]",
                       "[65536]",
                       "[\"http\"]",
                       "[22.5]",
                       "{}",
                       "\"22\"",
                       "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,"
                       "27,28,29,30,31,32,33]"};
  for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
    json_t *v = json_loads(bad[i], JSON_DECODE_ANY, NULL);
    assert_non_null(v);
    g_clear_error(&error);
    assert_false(sl_vm_def_set_json(d, "inbound_ports", v, &error));
    json_decref(v);
    assert_non_null(strstr(error->message, "inbound_ports must be an array"));
    assert_int_equal(d->ports->len, 2); /* unchanged */
  }
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_old_rows_round_trip),
      cmocka_unit_test(test_empty_and_bad),
      cmocka_unit_test(test_request_members),
      cmocka_unit_test(test_inbound_ports),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
