/* test-cli-vm.c - output formats of the virtual machine commands against
 * golden text (protocols.md §1.2, §1.3, §2.3): --list-types, the
 * run-instance banner and -q lines, the describe-instance table (widening,
 * -v error line, -vvv attributes), identifiers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <string.h>

#include "vm.h"

static void
test_types_builtin(void **state)
{
  (void)state;
  g_autoptr(GPtrArray) types = sl_config_instance_types(NULL);
  g_autofree char *table = sl_vm_types_table(types, "m1.small");
  assert_string_equal(table, " Type             CPU       RAM      SWAP\n"
                             "  c1.medium       2 CPU    1536 MB    1536 MB\n"
                             "  c1.xlarge       4 CPU    6144 MB    6144 MB\n"
                             "  m1.large        2 CPU    6144 MB    6144 MB\n"
                             "  m1.medium       1 CPU    3072 MB    3072 MB\n"
                             "* m1.small        1 CPU    1536 MB    1536 MB\n"
                             "  m1.xlarge       4 CPU    8192 MB    8192 MB\n"
                             "  t1.micro        1 CPU     512 MB     512 MB\n"
                             "\n");
}

static void
test_types_user(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  g_autoptr(SlConfig) config =
      sl_config_parse("t.cfg",
                      "[default]\nendpoint = x\n[instance_types]\n"
                      "m1.small = 2, 4096, 0\nBig.One = (16, 65536, 1024)\nbad = 44\n",
                      NULL, &error);
  assert_non_null(config);
  g_autoptr(GPtrArray) types = sl_config_instance_types(config);
  g_autofree char *table = sl_vm_types_table(types, "big.one");
  assert_string_equal(table, " Type             CPU       RAM      SWAP\n"
                             "* big.one        16 CPU   65536 MB    1024 MB\n"
                             "  c1.medium       2 CPU    1536 MB    1536 MB\n"
                             "  c1.xlarge       4 CPU    6144 MB    6144 MB\n"
                             "  m1.large        2 CPU    6144 MB    6144 MB\n"
                             "  m1.medium       1 CPU    3072 MB    3072 MB\n"
                             "  m1.small        2 CPU    4096 MB       0 MB\n"
                             "  m1.xlarge       4 CPU    8192 MB    8192 MB\n"
                             "  t1.micro        1 CPU     512 MB     512 MB\n"
                             "\n");
}

static void
test_run_report(void **state)
{
  (void)state;
  json_t *one = json_loads("[{\"id\": 165, \"ip\": \"134.158.75.201\"}]", 0, NULL);
  g_autofree char *report = sl_vm_run_report(one, NULL);
  assert_string_equal(report, "\n"
                              " :::::::::::::::::::::::::\n"
                              " :: Starting machine(s) ::\n"
                              " :::::::::::::::::::::::::\n"
                              " :: Starting 1 machine\n"
                              " :: Machine 1 (vm ID: 165)\n"
                              "\tPublic ip: 134.158.75.201\n"
                              " :: Done!\n");
  g_autofree char *quiet = sl_vm_run_quiet(one);
  assert_string_equal(quiet, "165, 134.158.75.201\n");
  json_decref(one);

  json_t *two = json_loads("[{\"id\": 5507, \"ip\": \"127.100.0.2\"},"
                           " {\"id\": 5508, \"ip\": \"127.100.0.3\"}]",
                           0, NULL);
  g_autofree char *report2 = sl_vm_run_report(two, "private");
  assert_string_equal(report2, "\n"
                               " :::::::::::::::::::::::::\n"
                               " :: Starting machine(s) ::\n"
                               " :::::::::::::::::::::::::\n"
                               " :: Starting 2 machines\n"
                               " :: Machine 1 (vm ID: 5507)\n"
                               "\tPrivate ip: 127.100.0.2\n"
                               " :: Machine 2 (vm ID: 5508)\n"
                               "\tPrivate ip: 127.100.0.3\n"
                               " :: Done!\n");
  g_autofree char *quiet2 = sl_vm_run_quiet(two);
  assert_string_equal(quiet2, "5507, 127.100.0.2\n5508, 127.100.0.3\n");
  json_decref(two);

  json_t *local = json_loads("[{\"id\": 7, \"ip\": \"10.77.0.5\"}]", 0, NULL);
  g_autofree char *report3 = sl_vm_run_report(local, "local");
  assert_string_equal(report3, "\n"
                               " :::::::::::::::::::::::::\n"
                               " :: Starting machine(s) ::\n"
                               " :::::::::::::::::::::::::\n"
                               " :: Starting 1 machine\n"
                               " :: Machine 1 (vm ID: 7)\n"
                               "\tLocal ip: 10.77.0.5\n"
                               " :: Done!\n");
  json_decref(local);

  g_autofree char *banner = sl_vm_action_banner("Go");
  assert_string_equal(banner, "\n ::::::::\n :: Go ::\n ::::::::\n");
}

#define HEADER(text) "\033[1;31m" text "\033[0m\n"

static void
test_describe_table(void **state)
{
  (void)state;
  json_t *vms = json_loads("[{\"id\": 165, \"state\": \"Running\", \"vcpu\": 1, \"memory\": 131072,"
                           " \"cpu\": 1, \"ip\": \"127.100.0.2\", \"name\": \"one-165\"},"
                           " {\"id\": 166, \"state\": \"Pending\", \"vcpu\": 1, \"memory\": 0,"
                           " \"cpu\": 0, \"ip\": \"127.100.0.3\", \"name\": \"one-166\","
                           " \"error\": \"no room\"}]",
                           0, NULL);
  g_autofree char *table = sl_vm_describe_table(vms, TRUE, TRUE, FALSE, 0);
  assert_string_equal(table, HEADER("id  state     vcpu memory    cpu% host/ip                 "
                                    "name") "165 Running   1    131072    1    127.100.0.2         "
                                            "    one-165\n"
                                            "166 Pending   1    0         0    127.100.0.3         "
                                            "    one-166\n");
  g_autofree char *verbose = sl_vm_describe_table(vms, FALSE, FALSE, TRUE, 1);
  assert_string_equal(verbose, "165 Running   1    131072    1    127.100.0.2             one-165\n"
                               "166 Pending   1    0         0    127.100.0.3             one-166\n"
                               "    no room\n");
  /* not a terminal (or NO_COLOR): the same header without escape codes */
  g_autofree char *plain = sl_vm_describe_table(vms, TRUE, FALSE, TRUE, 0);
  assert_true(g_str_has_prefix(plain, "id  state     vcpu memory    cpu% host/ip                 "
                                      "name\n165 Running "));
  assert_null(strchr(plain, '\033'));
  json_decref(vms);
}

static void
test_describe_networks(void **state)
{
  (void)state;
  /* public: the row only (as the original); local / private: the address line of the banner */
  json_t *vms = json_loads("[{\"id\": 1, \"state\": \"Running\", \"vcpu\": 1, \"memory\": 0,"
                           " \"cpu\": 0, \"ip\": \"127.100.0.2\", \"name\": \"a\","
                           " \"network\": \"public\"},"
                           " {\"id\": 2, \"state\": \"Running\", \"vcpu\": 1, \"memory\": 0,"
                           " \"cpu\": 0, \"ip\": \"10.77.0.5\", \"name\": \"b\","
                           " \"network\": \"local\"},"
                           " {\"id\": 3, \"state\": \"Running\", \"vcpu\": 1, \"memory\": 0,"
                           " \"cpu\": 0, \"ip\": \"10.78.0.9\", \"name\": \"c\","
                           " \"network\": \"private\"}]",
                           0, NULL);
  g_autofree char *table = sl_vm_describe_table(vms, FALSE, FALSE, TRUE, 0);
  assert_string_equal(table, "1   Running   1    0         0    127.100.0.2             a\n"
                             "2   Running   1    0         0    10.77.0.5               b\n"
                             "\tLocal ip: 10.77.0.5\n"
                             "3   Running   1    0         0    10.78.0.9               c\n"
                             "\tPrivate ip: 10.78.0.9\n");
  json_decref(vms);
}

static void
test_describe_widening(void **state)
{
  (void)state;
  /* a 24-character address and a 4-digit id reach their columns' widths */
  json_t *vms = json_loads("[{\"id\": 1650, \"state\": \"Prolog_Migrate\", \"vcpu\": 1,"
                           " \"memory\": 1572864, \"cpu\": 100, \"ip\": \"134.158.175.201\","
                           " \"name\": \"a\"},"
                           " {\"id\": 7, \"state\": \"Done\", \"vcpu\": 16, \"memory\": 12,"
                           " \"cpu\": 3, \"ip\": \"2001:db8:aaaa:bbbb::11:2\", \"name\": \"b\"}]",
                           0, NULL);
  g_autofree char *table = sl_vm_describe_table(vms, TRUE, TRUE, TRUE, 0);
  assert_string_equal(table, HEADER("id   state          vcpu memory    cpu% host/ip               "
                                    "   name") "1650 Prolog_Migrate 1    1572864   100  "
                                               "134.158.175.201          a\n"
                                               "7    Done           16   12        3    "
                                               "2001:db8:aaaa:bbbb::11:2 b\n");
  json_decref(vms);
}

static void
test_attributes(void **state)
{
  (void)state;
  json_t *vm = json_loads("{\"id\": 165, \"state\": \"Running\", \"Name\": \"one-165\","
                          " \"ram\": 256, \"disks\": [{\"target\": \"vda\", \"kind\": \"root\"}],"
                          " \"error\": null}",
                          0, NULL);
  g_autofree char *text = sl_vm_attributes(vm);
  assert_string_equal(text, "-------------------------\n"
                            "165 (all attributes)\n"
                            "  disks_0_kind = root\n"
                            "  disks_0_target = vda\n"
                            "  error = \n"
                            "  id = 165\n"
                            "  name = one-165\n"
                            "  ram = 256\n"
                            "  state = Running\n");
  json_decref(vm);
}

static void
test_identifiers(void **state)
{
  (void)state;
  assert_true(sl_is_marketplace_id("BN1EEkPiBx87_uLj2-sdybSI-Xb"));
  assert_false(sl_is_marketplace_id("BN1EEkPiBx87_uLj2-sdybSI-X"));
  assert_false(sl_is_marketplace_id("BN1EEkPiBx87_uLj2-sdybSI-Xb1"));
  assert_false(sl_is_marketplace_id("BN1EEkPiBx87_uLj2-sdybSI.Xb"));
  assert_true(sl_is_disk_uuid("9c5a2c03-8243-4a1b-a248-0f0d22d948c2"));
  assert_false(sl_is_disk_uuid("9C5A2C03-8243-4a1b-a248-0f0d22d948c2"));
  g_autofree char *loop = sl_vm_host("127.100.0.2", FALSE);
  assert_string_equal(loop, "127.100.0.2");
  g_autofree char *numeric = sl_vm_host("192.0.2.7", TRUE);
  assert_string_equal(numeric, "192.0.2.7");
  g_autofree char *none = sl_vm_host(NULL, FALSE);
  assert_string_equal(none, "");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_types_builtin),     cmocka_unit_test(test_types_user),
      cmocka_unit_test(test_run_report),        cmocka_unit_test(test_describe_table),
      cmocka_unit_test(test_describe_networks), cmocka_unit_test(test_describe_widening),
      cmocka_unit_test(test_attributes),        cmocka_unit_test(test_identifiers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
