/* test-cli-config.c - user configuration file and option resolution of the
 * `stratus` client: ConfigParser rules, sections, precedence, instance
 * types, name derivation, endpoint URLs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <glib/gstdio.h>
#include <gio/gio.h>
#include <string.h>

#include "helpers.h"
#include "cli.h"

static char *tmp_home;

static int
setup(void **state)
{
  (void)state;
  tmp_home = g_dir_make_tmp("test-cli-XXXXXX", NULL);
  g_setenv("HOME", tmp_home, TRUE);
  const char *vars[] = {"STRATUSLAB_USER_CONFIG_SECTION",
                        "STRATUSLAB_PDISK_ENDPOINT",
                        "STRATUSLAB_ENDPOINT",
                        "STRATUSLAB_USERNAME",
                        "STRATUSLAB_PASSWORD",
                        "STRATUSLAB_CA_CERTIFICATE",
                        "STRATUSLAB_PEM_CERTIFICATE"};
  for (size_t i = 0; i < G_N_ELEMENTS(vars); i++)
    g_unsetenv(vars[i]);
  return 0;
}

static void
rm_rf(const char *path)
{
  GDir *dir = g_dir_open(path, 0, NULL);
  if (dir != NULL) {
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
      g_autofree char *child = g_build_filename(path, name, NULL);
      rm_rf(child);
    }
    g_dir_close(dir);
    g_rmdir(path);
  } else {
    g_unlink(path);
  }
}

static int
teardown(void **state)
{
  (void)state;
  rm_rf(tmp_home);
  g_clear_pointer(&tmp_home, g_free);
  return 0;
}

/* Write $HOME/.stratuslab/stratuslab-user.cfg. */
static void
write_default_config(const char *text)
{
  g_autofree char *dir = g_build_filename(tmp_home, ".stratuslab", NULL);
  g_mkdir_with_parents(dir, 0700);
  g_autofree char *path = g_build_filename(dir, "stratuslab-user.cfg", NULL);
  assert_true(g_file_set_contents(path, text, -1, NULL));
}

/* Parse argv (NULL-terminated, program name first) and resolve. */
static SlCli *
run_cli(const SlCommand *cmd, GError **error, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer) "stratus-test");
  va_list ap;
  va_start(ap, error);
  const char *a;
  while ((a = va_arg(ap, const char *)) != NULL)
    g_ptr_array_add(argv, (gpointer)a);
  va_end(ap);
  g_ptr_array_add(argv, NULL);
  SlCli *cli = NULL;
  SlParseResult r =
      sl_cli_parse_args(cmd, "stratus-test", (int)argv->len - 1, (char **)argv->pdata, &cli, error);
  if (r != SL_PARSE_RUN || !sl_cli_resolve(cli, error)) {
    sl_cli_free(cli);
    return NULL;
  }
  return cli;
}

/* Interoperability: the 13.05 client's reference file (skipped without the fixtures). */
static void
test_reference_fixture(void **state)
{
  (void)state;
  th_need_fixtures(); /* first: a skip leaves by longjmp */
  g_autofree char *path = th_fixture("client/stratuslab-user.cfg.ref");
  g_autoptr(GError) error = NULL;
  g_autoptr(SlConfig) c = sl_config_load(path, TRUE, NULL, &error);
  assert_null(error);
  assert_non_null(c);
  assert_true(sl_config_loaded(c));
  assert_string_equal(sl_config_section(c), "default");
  assert_string_equal(sl_config_get(c, "endpoint"), "cloud.frontend.hostname");
  assert_string_equal(sl_config_get(c, "name"), "\"StratusLab Cloud\""); /* quotes kept */
  assert_string_equal(sl_config_get(c, "country"), "\"unknown\"");
  assert_string_equal(sl_config_get(c, "username"), "username");
  assert_string_equal(sl_config_get(c, "password"), "password");
  assert_string_equal(sl_config_get(c, "endpoint_timeout"), "5");
  assert_null(sl_config_get(c, "selected_section"));
  assert_null(sl_config_get(c, "pdisk_endpoint"));
  g_autoptr(GPtrArray) types = sl_config_instance_types(c);
  assert_int_equal(types->len, 7); /* only the built-in ones */
}

static void
test_own_reference(void **state)
{
  (void)state;
  g_autoptr(GBytes) ref = g_resources_lookup_data("/eu/stratuslab/cli/stratuslab-user.cfg.ref",
                                                  G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  assert_non_null(ref);
  g_autofree char *text = g_strndup(g_bytes_get_data(ref, NULL), g_bytes_get_size(ref));
  g_autoptr(GError) error = NULL;
  g_autoptr(SlConfig) c = sl_config_parse("ref", text, NULL, &error);
  assert_null(error);
  assert_string_equal(sl_config_get(c, "endpoint"), "127.0.0.1");
  assert_null(sl_config_get(c, "ca_certificate")); /* documented, commented out */
  assert_non_null(strstr(text, "ca_certificate"));
}

static void
test_parser_rules(void **state)
{
  (void)state;
  const char *text = "; comment\n"
                     "[default]\n"
                     "Endpoint: host.example  \n"
                     "endpoints = a u p\n"
                     "   b u2 p2\n"
                     "\n"
                     "  c u3 p3\n"
                     "password = 50%% off ; inline comment\n"
                     "tag = a;b\n"
                     "empty = \"\"\n"
                     "base = /srv\n"
                     "data = %(base)s/data\n"
                     "rem this line is a comment\n"
                     "[DEFAULT]\n"
                     "shared = yes\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(SlConfig) c = sl_config_parse("t.cfg", text, NULL, &error);
  assert_null(error);
  assert_string_equal(sl_config_get(c, "endpoint"), "host.example");
  assert_string_equal(sl_config_get(c, "endpoints"), "a u p\nb u2 p2\nc u3 p3");
  assert_string_equal(sl_config_get(c, "password"), "50% off");
  assert_string_equal(sl_config_get(c, "tag"), "a;b");
  assert_string_equal(sl_config_get(c, "empty"), "");
  assert_string_equal(sl_config_get(c, "data"), "/srv/data");
  assert_string_equal(sl_config_get(c, "shared"), "yes");
}

static void
expect_error(const char *text, const char *section, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SlConfig) c = sl_config_parse("/path/x.cfg", text, section, &error);
  assert_null(c);
  assert_non_null(error);
  if (strstr(error->message, needle) == NULL)
    fail_msg("'%s' does not contain '%s'", error->message, needle);
  assert_int_equal(error->code, SL_EXIT_FAILED);
}

static void
test_parser_errors(void **state)
{
  (void)state;
  expect_error("[default]\nendpoint = a\n\n\n\n\n\n\n\n\n\nthis is not valid\n", NULL,
               "/path/x.cfg:12: expected 'key = value' or '[section]'");
  expect_error("endpoint = a\n[default]\n", NULL, "/path/x.cfg:1: expected '[section]'");
  expect_error("[default]\n  indented = first\n", NULL, "/path/x.cfg:2:");
  expect_error("[other]\nendpoint = a\n", NULL, "no section [default]");
  expect_error("[default]\nx = 1\npassword = 100%\n", NULL,
               "/path/x.cfg:3: '%' must be followed by '%' or '('");
  expect_error("[default]\nx = %(nokey)s\n", NULL, "/path/x.cfg:2: no key 'nokey'");
}

static const char *sections_cfg = "[default]\n"
                                  "endpoint = default.example\n"
                                  "username = alice\n"
                                  "selected_section = from-file\n"
                                  "[from-file]\n"
                                  "endpoint = file.example\n"
                                  "[from-env]\n"
                                  "endpoint = env.example\n"
                                  "selected_section = ignored\n"
                                  "[from-argv]\n"
                                  "endpoint = argv.example\n";

static void
test_section_selection(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  g_autoptr(SlConfig) c = sl_config_parse("s.cfg", sections_cfg, NULL, &error);
  assert_string_equal(sl_config_section(c), "from-file");
  assert_string_equal(sl_config_get(c, "endpoint"), "file.example");
  assert_string_equal(sl_config_get(c, "username"), "alice"); /* inherited from [default] */

  /* the three ways, through the command line machinery */
  write_default_config(sections_cfg);
  SlCli *cli = run_cli(&sl_cmd_describe_instance, &error, NULL);
  assert_non_null(cli);
  assert_string_equal(sl_cli_get(cli, "endpoint"), "file.example");
  sl_cli_free(cli);

  g_setenv("STRATUSLAB_USER_CONFIG_SECTION", "from-env", TRUE);
  cli = run_cli(&sl_cmd_describe_instance, &error, NULL);
  assert_string_equal(sl_cli_get(cli, "endpoint"), "env.example");
  assert_string_equal(sl_config_section(sl_cli_config(cli)), "from-env");
  sl_cli_free(cli);

  cli = run_cli(&sl_cmd_describe_instance, &error, "-S", "from-argv", NULL);
  assert_string_equal(sl_cli_get(cli, "endpoint"), "argv.example");
  sl_cli_free(cli);

  cli = run_cli(&sl_cmd_describe_instance, &error, "--user-config-section=default", NULL);
  assert_string_equal(sl_cli_get(cli, "endpoint"), "default.example");
  sl_cli_free(cli);
  g_unsetenv("STRATUSLAB_USER_CONFIG_SECTION");
}

static void
test_missing_section(void **state)
{
  (void)state;
  expect_error(sections_cfg, "nope", "/path/x.cfg: no section [nope]");
  expect_error("[default]\nselected_section = gone\n", NULL, "no section [gone]");
  write_default_config(sections_cfg);
  g_autoptr(GError) error = NULL;
  SlCli *cli = run_cli(&sl_cmd_create_volume, &error, "-S", "nope", NULL);
  assert_null(cli);
  assert_non_null(strstr(error->message, "no section [nope]"));
}

static void
test_missing_files(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  /* missing default file: silently empty */
  SlCli *cli = run_cli(&sl_cmd_create_volume, &error, NULL);
  assert_non_null(cli);
  assert_false(sl_config_loaded(sl_cli_config(cli)));
  assert_null(sl_cli_get(cli, "pdisk-endpoint"));
  sl_cli_free(cli);
  /* missing explicit file: error naming it */
  g_autofree char *path = g_build_filename(tmp_home, "absent.cfg", NULL);
  cli = run_cli(&sl_cmd_create_volume, &error, "-c", path, NULL);
  assert_null(cli);
  assert_non_null(strstr(error->message, path));
  assert_non_null(strstr(error->message, "does not exist"));
}

static void
test_precedence(void **state)
{
  (void)state;
  write_default_config("[default]\npdisk_endpoint = file.example\nusername = fileuser\n");
  g_autoptr(GError) error = NULL;
  /* file > default */
  SlCli *cli = run_cli(&sl_cmd_create_volume, &error, NULL);
  assert_string_equal(sl_cli_get(cli, "pdisk-endpoint"), "file.example");
  assert_string_equal(sl_cli_get(cli, "username"), "fileuser");
  assert_string_equal(sl_cli_get(cli, "pem-cert"), "~/.globus/usercert.pem"); /* default */
  assert_string_equal(sl_cli_get(cli, "visibility"), "private");
  assert_false(sl_cli_given(cli, "pdisk-endpoint"));
  sl_cli_free(cli);
  /* env > file */
  g_setenv("STRATUSLAB_PDISK_ENDPOINT", "env.example", TRUE);
  g_setenv("STRATUSLAB_PEM_CERTIFICATE", "/env/cert.pem", TRUE);
  cli = run_cli(&sl_cmd_create_volume, &error, NULL);
  assert_string_equal(sl_cli_get(cli, "pdisk-endpoint"), "env.example");
  assert_string_equal(sl_cli_get(cli, "pem-cert"), "/env/cert.pem");
  sl_cli_free(cli);
  /* argv > env, both forms */
  cli = run_cli(&sl_cmd_create_volume, &error, "--pdisk-endpoint=argv.example", "--public", "-u",
                "argvuser", NULL);
  assert_string_equal(sl_cli_get(cli, "pdisk-endpoint"), "argv.example");
  assert_string_equal(sl_cli_get(cli, "username"), "argvuser");
  assert_string_equal(sl_cli_get(cli, "visibility"), "public");
  assert_true(sl_cli_given(cli, "pdisk-endpoint"));
  sl_cli_free(cli);
  cli = run_cli(&sl_cmd_create_volume, &error, "--pdisk-endpoint", "argv2.example", NULL);
  assert_string_equal(sl_cli_get(cli, "pdisk-endpoint"), "argv2.example");
  sl_cli_free(cli);
  g_unsetenv("STRATUSLAB_PDISK_ENDPOINT");
  g_unsetenv("STRATUSLAB_PEM_CERTIFICATE");
  /* a key without an option: env > file */
  write_default_config("[default]\nendpoint = file.example\n");
  cli = run_cli(&sl_cmd_create_volume, &error, NULL);
  assert_string_equal(sl_cli_setting(cli, "endpoint"), "file.example");
  g_setenv("STRATUSLAB_ENDPOINT", "env.example", TRUE);
  assert_string_equal(sl_cli_setting(cli, "endpoint"), "env.example");
  g_unsetenv("STRATUSLAB_ENDPOINT");
  sl_cli_free(cli);
}

static void
test_counts_and_usage_errors(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  SlCli *cli = run_cli(&sl_cmd_describe_volumes, &error, "-vv", "-v", "-f", "tag:a", "--filter",
                       "owner:b", "uuid1", NULL);
  assert_non_null(cli);
  assert_int_equal(sl_cli_verbose(cli), 3);
  const char *const *filters = sl_cli_list(cli, "filter");
  assert_string_equal(filters[0], "tag:a");
  assert_string_equal(filters[1], "owner:b");
  assert_null(filters[2]);
  assert_string_equal(sl_cli_args(cli)[0], "uuid1");
  sl_cli_free(cli);

  cli = run_cli(&sl_cmd_attach_volume, &error, "-i", "abc", NULL);
  assert_null(cli);
  assert_int_equal(error->code, SL_EXIT_USAGE);
  assert_non_null(strstr(error->message, "invalid integer value: 'abc'"));
  g_clear_error(&error);
  cli = run_cli(&sl_cmd_create_volume, &error, "--no-such-option", NULL);
  assert_null(cli);
  assert_int_equal(error->code, SL_EXIT_USAGE);
}

static void
test_instance_types(void **state)
{
  (void)state;
  int cpu, ram, swap;
  assert_true(sl_instance_type_parse("4, 2048, 2048", &cpu, &ram, &swap));
  assert_int_equal(cpu, 4);
  assert_int_equal(ram, 2048);
  assert_int_equal(swap, 2048);
  assert_true(sl_instance_type_parse("(1, 1, 1)", &cpu, &ram, &swap));
  assert_true(sl_instance_type_parse("1,2,0", &cpu, &ram, &swap));
  assert_false(sl_instance_type_parse("44", &cpu, &ram, &swap));
  assert_false(sl_instance_type_parse("1,2,3,4", &cpu, &ram, &swap));
  assert_false(sl_instance_type_parse("0, 512, 512", &cpu, &ram, &swap));
  assert_false(sl_instance_type_parse("1, 0, 512", &cpu, &ram, &swap));
  assert_false(sl_instance_type_parse("", &cpu, &ram, &swap));

  const char *text = "[default]\n[instance_types]\n"
                     "My.Type = 4, 2048, 2048\n"
                     "m1.small = 2, 100, 0\n"
                     "bad = 44\n"
                     "worse = 1, 2, 3, 4\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(SlConfig) c = sl_config_parse("t.cfg", text, NULL, &error);
  assert_null(error);
  const SlInstanceType *t = sl_config_instance_type(c, "my.type");
  assert_non_null(t);
  assert_int_equal(t->cpu, 4);
  t = sl_config_instance_type(c, "M1.SMALL"); /* user type overrides the built-in one */
  assert_int_equal(t->cpu, 2);
  assert_int_equal(t->ram, 100);
  assert_null(sl_config_instance_type(c, "bad"));
  assert_null(sl_config_instance_type(c, "worse"));
  t = sl_config_instance_type(c, "c1.xlarge");
  assert_int_equal(t->cpu, 4);
  assert_int_equal(t->ram, 6144);
  g_autoptr(GPtrArray) all = sl_config_instance_types(c);
  assert_int_equal(all->len, 8);
  assert_string_equal(((SlInstanceType *)all->pdata[0])->name, "c1.medium");
  assert_string_equal(((SlInstanceType *)all->pdata[4])->name, "m1.small");
  assert_string_equal(((SlInstanceType *)all->pdata[6])->name, "my.type");
  /* without a configuration: the built-in table */
  t = sl_config_instance_type(NULL, "t1.micro");
  assert_int_equal(t->ram, 512);
}

static void
check_table_names(const SlCommand *cmd)
{
  for (const SlOption *const *t = cmd->options; *t; t++) {
    for (const SlOption *o = *t; o->name; o++) {
      if (o->key == NULL)
        continue;
      g_autofree char *opt = sl_config_key_to_option(o->key);
      g_autofree char *env = sl_option_env(o);
      /* documented departures: -S (selected_section) and --type */
      if (strcmp(o->key, "selected_section") == 0) {
        assert_string_equal(o->name, "user-config-section");
        assert_string_equal(env, "STRATUSLAB_USER_CONFIG_SECTION");
        continue;
      }
      if (strcmp(o->key, "default_instance_type") == 0) {
        assert_string_equal(o->name, "type");
        continue;
      }
      if (strcmp(o->name, opt) != 0)
        fail_msg("%s: option --%s but key %s derives --%s", cmd->name, o->name, o->key, opt);
      g_autofree char *derived = sl_config_key_to_env(o->key);
      assert_string_equal(env, derived);
    }
  }
}

static void
test_name_derivation(void **state)
{
  (void)state;
  const struct {
    const char *key, *opt, *env;
  } cases[] = {
      {"pdisk_endpoint", "pdisk-endpoint", "STRATUSLAB_PDISK_ENDPOINT"},
      {"ca_certificate", "ca-certificate", "STRATUSLAB_CA_CERTIFICATE"},
      {"pem_certificate", "pem-cert", "STRATUSLAB_PEM_CERTIFICATE"},
      {"p12_certificate", "p12-cert", "STRATUSLAB_P12_CERTIFICATE"},
      {"user_public_key_file", "key", "STRATUSLAB_KEY"},
      {"marketplace_endpoint", "marketplace-endpoint", "STRATUSLAB_MARKETPLACE_ENDPOINT"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *opt = sl_config_key_to_option(cases[i].key);
    g_autofree char *env = sl_config_key_to_env(cases[i].key);
    assert_string_equal(opt, cases[i].opt);
    assert_string_equal(env, cases[i].env);
  }
  const SlCommand *cmds[] = {&sl_cmd_run_instance,  &sl_cmd_create_volume,
                             &sl_cmd_sign_metadata, &sl_cmd_connect_instance,
                             &sl_cmd_create_image,  &sl_cmd_run_cluster,
                             &sl_cmd_upload_image,  &sl_cmd_deprecate_metadata};
  for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++)
    check_table_names(cmds[i]);
  g_autofree char *src = sl_option_sources(&sl_opts_pdisk[0]);
  assert_string_equal(src, "[STRATUSLAB_PDISK_ENDPOINT, pdisk_endpoint]");
}

static void
test_endpoint_urls(void **state)
{
  (void)state;
  const struct {
    const char *in, *out;
  } cases[] = {
      {"cloud.example.org", "https://cloud.example.org:2634"},
      {"127.0.0.1", "https://127.0.0.1:2634"},
      {"127.0.0.1:8445", "https://127.0.0.1:8445"},
      {" host:1234/ ", "https://host:1234"},
      {"host/pswd", "https://host:2634/pswd"},
      {"[::1]", "https://[::1]:2634"},
      {"[::1]:9000", "https://[::1]:9000"},
      {"::1", "https://[::1]:2634"},
      {"https://pdisk.example:8445/pswd/", "https://pdisk.example:8445/pswd"},
      {"http://plain.example", "http://plain.example"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *url = sl_endpoint_url(cases[i].in, SL_CONFIG_DEFAULT_PORT);
    assert_string_equal(url, cases[i].out);
  }
  assert_null(sl_endpoint_url("", 2634));
  assert_null(sl_endpoint_url(NULL, 2634));
  assert_true(sl_is_disk_uuid("9c5a2c03-8243-4a1b-a248-0f0d22d948c2"));
  assert_false(sl_is_disk_uuid("9C5A2C03-8243-4A1B-A248-0F0D22D948C2"));
  assert_false(sl_is_disk_uuid("9c5a2c03-8243-4a1b-a248-0f0d22d948c"));
  assert_false(sl_is_disk_uuid("9c5a2c03-8243-4a1b-a248-0f0d22d948c2x"));
  assert_false(sl_is_disk_uuid("9c5a2c0308243-4a1b-a248-0f0d22d948c2"));
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_reference_fixture, setup, teardown),
      cmocka_unit_test_setup_teardown(test_own_reference, setup, teardown),
      cmocka_unit_test_setup_teardown(test_parser_rules, setup, teardown),
      cmocka_unit_test_setup_teardown(test_parser_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_section_selection, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_section, setup, teardown),
      cmocka_unit_test_setup_teardown(test_missing_files, setup, teardown),
      cmocka_unit_test_setup_teardown(test_precedence, setup, teardown),
      cmocka_unit_test_setup_teardown(test_counts_and_usage_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_instance_types, setup, teardown),
      cmocka_unit_test_setup_teardown(test_name_derivation, setup, teardown),
      cmocka_unit_test_setup_teardown(test_endpoint_urls, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
