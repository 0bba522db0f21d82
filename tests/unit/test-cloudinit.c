/* test-cloudinit.c - the CloudInit encoder (golden cloud-init.txt, gzip,
 * multipart, none/ssh rules, errors), the _CLOUD_INIT VFAT writer (checked
 * with fsck.vfat, mtools and blkid when installed), the derived context keys
 * and the client-side context/--cloud-init parsing of stratus-run-instance. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>

#include "cli.h"
#include "helpers.h"
#include "context-args.h"
#include "context/cloudinit.h"
#include "context/vfat.h"
#include "util/error.h"

/* Golden output for key.pub, run.sh (x-shellscript), cc.txt (cloud-config);
 * its user data gunzips to the Python 2.7 email layout and the gzip bytes
 * equal Python's gzip.GzipFile(compresslevel=9, mtime=0). */
static const char golden_file[] =
    "CONTEXT_METHOD=cloud-init\n"
    "CLOUD_INIT_AUTHORIZED_KEYS="
    "c3NoLWVkMjU1MTkgQUFBQUMzTnphQzFsWkRJMU5URTVBQUFBSUdvbGRlbiB0ZXN0QGdvbGRlbgo=\n"
    "CLOUD_INIT_USER_DATA=H4sIAAAAAAAC/"
    "72PsWrDMBCGdz2F6s6yExXXiY2mNEOHbKVL6SBLcnQgS0Z3Buftm3QIDXQIFHrjHf9/"
    "37dLkVwk8XaaXMvHORBMOlM1wuJsx/"
    "s0R6vzSRXqduq62cr19nnTbBr5JGUtpVIFO7we9uLdZYQUW74uV4wJcU+"
    "U7W5AyC1ULQK9CwFNhok6brzO6EgVMwqNBuC3d9earCMOLot9NMlCPLa86YGu9xfAKSHQd1ATaePH877jAwQX9ehUkedYo"
    "i8Ye3yoeogVeuaMT/zClP7iZUKarTApDnD8fy1jSlroovWTg51tzWhb/hHw8145Ib4AqWyhXj8CAAA=\n"
    "\n";

static const char key_pub[] = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGolden test@golden\n";
static const char run_sh[] = "#!/bin/sh\necho hello\n";
static const char cc_txt[] = "#cloud-config\nruncmd: [ls]\n";

static gchar *tmpdir;

static gchar *
put(const char *name, const char *text, gssize len)
{
  gchar *p = g_build_filename(tmpdir, name, NULL);
  g_assert_true(g_file_set_contents(p, text, len, NULL));
  return p;
}

static GBytes *
B(const char *s)
{
  return g_bytes_new_static(s, strlen(s));
}

static void
test_gzip_python_bytes(void **state)
{
  (void)state;
  static const guint8 want[] = {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
                                0xff, 0xcb, 0x48, 0xcd, 0xc9, 0xc9, 0xe7, 0x02, 0x00,
                                0x20, 0x30, 0x3a, 0x36, 0x06, 0x00, 0x00, 0x00};
  g_autoptr(GBytes) gz = sl_gzip("hello\n", 6);
  gsize len = 0;
  const guint8 *p = g_bytes_get_data(gz, &len);
  assert_int_equal(len, sizeof want);
  assert_memory_equal(p, want, sizeof want);
  g_autoptr(GBytes) back = sl_gunzip(p, len, 100, NULL);
  assert_non_null(back);
  assert_memory_equal(g_bytes_get_data(back, NULL), "hello\n", 6);
  g_autoptr(GError) error = NULL;
  assert_null(sl_gunzip(p, len, 3, &error));
  assert_non_null(strstr(error->message, "larger than 3 bytes"));
  g_clear_error(&error);
  assert_null(sl_gunzip(p, len - 3, 100, &error)); /* truncated */
  assert_string_equal(error->message, "invalid gzip data");
}

static void
test_golden_file(void **state)
{
  (void)state;
  g_autofree gchar *k = put("key.pub", key_pub, -1);
  g_autofree gchar *r = put("run.sh", run_sh, -1);
  g_autofree gchar *c = put("cc.txt", cc_txt, -1);
  g_autofree gchar *a1 = g_strconcat("ssh,", k, NULL);
  g_autofree gchar *a2 = g_strconcat("x-shellscript,", r, NULL);
  g_autofree gchar *a3 = g_strconcat("text/cloud-config,", c, NULL);
  const char *args[] = {a1, a2, a3, NULL};
  g_autoptr(GError) error = NULL;
  g_autofree gchar *text = sl_cli_cloud_init_file(args, &error);
  assert_null(error);
  assert_string_equal(text, golden_file);
}

static void
test_multipart_layout(void **state)
{
  (void)state;
  const char *types[] = {"x-shellscript"};
  const char *names[] = {"a.sh"};
  g_autoptr(GBytes) d = B("#!/bin/sh\n\xc3\xa9\n");
  GBytes *data[] = {d};
  g_autofree gchar *mp = sl_cloudinit_multipart(types, names, data, 1);
  const char *nl = strchr(mp, '\n');
  g_autofree gchar *first = g_strndup(mp, (gsize)(nl - mp));
  assert_true(g_regex_match_simple("^Content-Type: multipart/mixed; boundary=\"={15}[0-9]{19}==\"$",
                                   first, 0, 0));
  const char *b = strstr(first, "boundary=\"") + 10;
  g_autofree gchar *boundary = g_strndup(b, strlen(b) - 1);
  g_autofree gchar *want = g_strdup_printf(
      "%s\nMIME-Version: 1.0\n\n--%s\nContent-Type: text/x-shellscript; charset=\"us-ascii\"\n"
      "MIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\n"
      "Content-Disposition: attachment; filename=\"a.sh\"\n\n#!/bin/sh\n\xc3\xa9\n\n--%s--",
      first, boundary, boundary);
  assert_string_equal(mp, want);
  /* a part containing the boundary gets ".0" */
  g_autofree gchar *clash = g_strdup_printf("x\n--%s\n", boundary);
  g_autoptr(GBytes) d2 = B(clash);
  GBytes *data2[] = {d2};
  /* same names/contents hash differs, so just check uniqueness holds */
  g_autofree gchar *mp2 = sl_cloudinit_multipart(types, names, data2, 1);
  assert_non_null(mp2);
}

static SlCloudInit *
enc(const char *const *types, const char *const *contents, gsize n, GError **error)
{
  const char *names[8] = {"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"};
  GBytes *data[8];
  for (gsize i = 0; i < n; i++)
    data[i] = B(contents[i]);
  SlCloudInit *ci = sl_cloudinit_encode_data(types, names, data, n, error);
  for (gsize i = 0; i < n; i++)
    g_bytes_unref(data[i]);
  return ci;
}

static gchar *
decoded_user_data(const SlCloudInit *ci)
{
  gsize len = 0;
  g_autofree guchar *gz = g_base64_decode(ci->user_data, &len);
  g_autoptr(GBytes) t = sl_gunzip(gz, len, 1 << 20, NULL);
  return g_strndup(g_bytes_get_data(t, NULL), g_bytes_get_size(t));
}

static void
test_none_last_wins(void **state)
{
  (void)state;
  const char *types[] = {"none", "x-shellscript", "ssh", "none"};
  const char *contents[] = {"first", "#!/bin/sh\n", "  ssh-rsa AAA k1  \n\n", "last"};
  g_autoptr(SlCloudInit) ci = enc(types, contents, 4, NULL);
  assert_non_null(ci);
  g_autofree gchar *ud = decoded_user_data(ci);
  assert_string_equal(ud, "last");
  g_autofree guchar *keys = g_base64_decode(ci->authorized_keys, &(gsize){0});
  assert_string_equal((char *)keys, "ssh-rsa AAA k1\n");
  /* ssh only: no user data line */
  const char *t2[] = {"ssh", "ssh"};
  const char *c2[] = {"k1", "k2\n"};
  g_autoptr(SlCloudInit) ci2 = enc(t2, c2, 2, NULL);
  assert_null(ci2->user_data);
  g_autofree gchar *text = sl_cloudinit_render(ci2);
  assert_string_equal(text, "CONTEXT_METHOD=cloud-init\nCLOUD_INIT_AUTHORIZED_KEYS=azEKazIK\n");
}

static void
test_encode_errors(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  const char *types[] = {"none"};
  const char bin[] = {'#', '!', (char)0xff, (char)0xfe, 0};
  const char *contents[] = {bin};
  assert_null(enc(types, contents, 1, &error));
  assert_string_equal(error->message, "cloud-init file `f0` is binary; user data must be text");
  g_clear_error(&error);
  /* 30000 bytes of pseudo-random base64 text: more than 16384 once gzip'd */
  GString *big = g_string_new(NULL);
  guint32 x = 1;
  for (int i = 0; i < 30000; i++) {
    x = x * 1103515245u + 12345u;
    g_string_append_c(big,
                      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[x >> 26]);
  }
  const char *t2[] = {"x-shellscript"};
  const char *c2[] = {big->str};
  assert_null(enc(t2, c2, 1, &error));
  assert_true(g_regex_match_simple("^multipart size \\([0-9]+\\) exceeds limit \\(16384\\)$",
                                   error->message, 0, 0));
  g_string_free(big, TRUE);
  g_clear_error(&error);
  g_autoptr(GPtrArray) pairs =
      g_ptr_array_new_with_free_func((GDestroyNotify)sl_cloudinit_pair_free);
  g_ptr_array_add(pairs, sl_cloudinit_parse_pair("none,/nonexistent/x.sh", NULL));
  assert_null(sl_cloudinit_encode(pairs, &error));
  assert_string_equal(error->message, "cloud-init file `/nonexistent/x.sh` does not exist");
}

static void
test_parse_pairs(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) p = sl_cloudinit_parse_arg("ssh,a.pub##Text/X-ShellScript,b,c.sh#", &error);
  assert_non_null(p);
  assert_int_equal(p->len, 2);
  SlCloudInitPair *second = g_ptr_array_index(p, 1);
  assert_string_equal(second->type, "x-shellscript");
  assert_string_equal(second->path, "b,c.sh");
  assert_null(sl_cloudinit_parse_arg("run.sh", &error));
  assert_string_equal(error->message, "Invalid cloud-init pair `run.sh` (mimetype,file expected)");
  g_clear_error(&error);
  assert_null(sl_cloudinit_parse_arg("ssh,", &error));
  assert_string_equal(error->message, "Invalid cloud-init pair `ssh,` (mimetype,file expected)");
  g_clear_error(&error);
  assert_null(sl_cloudinit_parse_arg("sshkey,a.pub", &error));
  assert_true(g_str_has_prefix(
      error->message, "Unknown cloud-init mimetype `sshkey` in `sshkey,a.pub` (use ssh, none"));
  g_clear_error(&error);
  assert_null(sl_cloudinit_parse_arg("#", &error));
  assert_string_equal(error->message, "No cloud-init pairs given (mimetype,file expected)");
}

static void
test_cli_context_object(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *f = put("ctx.txt", "a_b=x = y \r\n\n  C =#not a comment\n", -1);
  json_t *o = sl_cli_context_object(f, "d=1#E=$x 'q'\n#a_b=override", NULL, &error);
  assert_non_null(o);
  assert_string_equal(json_string_value(json_object_get(o, "A_B")), "override");
  assert_string_equal(json_string_value(json_object_get(o, "C")), "#not a comment");
  assert_string_equal(json_string_value(json_object_get(o, "D")), "1");
  assert_string_equal(json_string_value(json_object_get(o, "E")), "$x 'q'\n");
  json_decref(o);
  assert_null(sl_cli_context_object(NULL, "A-B=1", NULL, &error));
  assert_int_equal(error->code, SL_EXIT_FAILED);
  assert_true(g_str_has_prefix(error->message, "invalid context key `A-B`: keys must match"));
  g_clear_error(&error);
  assert_null(sl_cli_context_object(NULL, "A=1#oops", NULL, &error));
  assert_string_equal(error->message, "Syntax error in line `oops`");
  g_clear_error(&error);
  assert_null(sl_cli_context_object("/nonexistent.ctx", NULL, NULL, &error));
  assert_string_equal(error->message, "Extra context file does not exist: /nonexistent.ctx");
  g_clear_error(&error);
  assert_null(sl_cli_context_object(NULL, NULL, "x-shellscript", &error));
  assert_string_equal(error->message,
                      "Invalid cloud-init pair `x-shellscript` (mimetype,file expected)");
  g_clear_error(&error);
  g_autofree gchar *k = put("k.pub", key_pub, -1);
  g_autofree gchar *arg = g_strconcat("ssh,", k, NULL);
  o = sl_cli_context_object(NULL, "CONTEXT_METHOD=other", arg, &error);
  assert_non_null(o);
  assert_string_equal(json_string_value(json_object_get(o, "CONTEXT_METHOD")), "cloud-init");
  assert_non_null(json_object_get(o, "CLOUD_INIT_AUTHORIZED_KEYS"));
  assert_null(json_object_get(o, "CLOUD_INIT_USER_DATA"));
  json_decref(o);
}

static gchar *
sh(const char *cmd, int *status)
{
  gchar *out = NULL;
  g_autofree gchar *full = g_strdup_printf("PATH=$PATH:/usr/sbin:/sbin %s", cmd);
  const char *argv[] = {"/bin/sh", "-c", full, NULL};
  g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                             &out, NULL, status, NULL));
  return out;
}

static SlContext *
ci_context(const char *user_data, const char *keys)
{
  SlContext *ctx = sl_context_new();
  sl_context_set(ctx, "CONTEXT_METHOD", "cloud-init", NULL);
  g_autoptr(GBytes) gz = sl_gzip(user_data, strlen(user_data));
  g_autofree gchar *b = g_base64_encode(g_bytes_get_data(gz, NULL), g_bytes_get_size(gz));
  g_autofree gchar *k = g_base64_encode((const guchar *)keys, strlen(keys));
  sl_context_set(ctx, "CLOUD_INIT_USER_DATA", b, NULL);
  sl_context_set(ctx, "CLOUD_INIT_AUTHORIZED_KEYS", k, NULL);
  return ctx;
}

static void
test_vfat_disk(void **state)
{
  (void)state;
  const char *ud = "#!/bin/sh\necho \"hi\" \\ \t\xc3\xa9\n";
  g_autoptr(SlContext) ctx = ci_context(ud, key_pub);
  g_autofree gchar *img = g_build_filename(tmpdir, "ci.img", NULL);
  g_autoptr(GError) error = NULL;
  assert_true(sl_cloudinit_check(ctx, &error));
  assert_true(sl_cloudinit_write_disk(ctx, img, &error));
  gchar *bytes1 = NULL, *bytes2 = NULL;
  gsize len = 0;
  g_file_get_contents(img, &bytes1, &len, NULL);
  assert_int_equal(len, SL_CLOUDINIT_DISK_SIZE);
  assert_true(sl_cloudinit_write_disk(ctx, img, &error));
  g_file_get_contents(img, &bytes2, NULL, NULL);
  assert_memory_equal(bytes1, bytes2, len); /* deterministic */
  g_free(bytes1);
  g_free(bytes2);
  g_autofree gchar *meta = sl_cloudinit_meta_js(ud);
  assert_string_equal(meta, "{\"user-data\": \"#!/bin/sh\\necho \\\"hi\\\" \\\\ \\t\xc3\xa9\\n\", "
                            "\"dsmode\": \"local\"}");
}

/* The disk as the system tools read it (fsck.vfat, mtools, blkid; skipped,
 * reason printed, when one is not installed). */
static void
test_vfat_disk_tools(void **state)
{
  (void)state;
  /* the tools first: a skip leaves by longjmp, before anything is allocated */
  const char *tools[] = {"fsck.vfat", "mtype", "mdir", "blkid"};
  for (gsize i = 0; i < G_N_ELEMENTS(tools); i++)
    g_free(th_tool(tools[i]));
  const char *ud = "#!/bin/sh\necho \"hi\" \\ \t\xc3\xa9\n";
  g_autoptr(SlContext) ctx = ci_context(ud, key_pub);
  g_autofree gchar *img = g_build_filename(tmpdir, "ci-tools.img", NULL);
  g_autoptr(GError) error = NULL;
  assert_true(sl_cloudinit_write_disk(ctx, img, &error));
  g_autofree gchar *meta = sl_cloudinit_meta_js(ud);
  int status = 0;
  {
    g_autofree gchar *cmd = g_strdup_printf("fsck.vfat -n '%s'", img);
    g_autofree gchar *out = sh(cmd, &status);
    assert_true(g_spawn_check_wait_status(status, NULL));
  }
  {
    g_autofree gchar *cmd = g_strdup_printf("MTOOLS_SKIP_CHECK=1 mtype -i '%s' ::/meta.js", img);
    g_autofree gchar *out = sh(cmd, &status);
    assert_string_equal(out, meta);
    g_free(cmd);
    cmd = g_strdup_printf("MTOOLS_SKIP_CHECK=1 mtype -i '%s' ::/root/.ssh/authorized_keys", img);
    g_autofree gchar *keys = sh(cmd, &status);
    assert_string_equal(keys, key_pub);
    g_free(cmd);
    cmd = g_strdup_printf("MTOOLS_SKIP_CHECK=1 mdir -i '%s' -b -/ ::/", img);
    g_autofree gchar *list = sh(cmd, &status);
    assert_non_null(strstr(list, "::/meta.js\n"));
    assert_non_null(strstr(list, "::/root/.ssh/authorized_keys\n"));
  }
  {
    g_autofree gchar *cmd = g_strdup_printf("blkid -p -o value -s LABEL '%s'", img);
    g_autofree gchar *out = sh(cmd, &status);
    assert_string_equal(out, "_CLOUD_INIT\n");
  }
}

static void
test_vfat_limits(void **state)
{
  (void)state;
  g_autoptr(GError) error = NULL;
  g_autofree gchar *huge = g_malloc(1100 * 1000);
  memset(huge, 'x', 1100 * 1000);
  g_autoptr(GBytes) b = g_bytes_new_static(huge, 1100 * 1000);
  SlVfatEntry e = {.path = "big", .data = b};
  assert_null(sl_vfat_build("L", 1024000, &e, 1, &error));
  assert_non_null(strstr(error->message, "do not fit"));
  g_clear_error(&error);
  SlVfatEntry dup[] = {{.path = "a/b", .data = b}, {.path = "A/B", .data = b}};
  assert_null(sl_vfat_build("L", 1024000, dup, 2, &error));
  g_clear_error(&error);
  SlVfatEntry bad = {.path = "a/../b", .data = b};
  assert_null(sl_vfat_build("L", 1024000, &bad, 1, &error));
  g_clear_error(&error);
  assert_null(sl_vfat_build("lower", 1024000, NULL, 0, &error));
  g_clear_error(&error);
  /* a zip bomb: 2 MB of zeros gzip'd to ~2 KB is refused by the check */
  g_autofree gchar *zeros = g_malloc0(2 << 20);
  memset(zeros, 'a', 2 << 20);
  zeros[(2 << 20) - 1] = 0;
  g_autoptr(SlContext) ctx = ci_context(zeros, "");
  assert_false(sl_cloudinit_check(ctx, &error));
  assert_non_null(strstr(error->message, "CLOUD_INIT_USER_DATA"));
}

static void
test_derived_keys(void **state)
{
  (void)state;
  g_autoptr(SlContext) ctx = ci_context("#!/bin/sh\n", "ssh-ed25519 BBB ci\n");
  sl_context_set(ctx, "PUBLIC_KEY", "ssh-ed25519 AAA k", NULL);
  sl_context_set(ctx, "ETH0_DNS", "1.1.1.1", NULL);
  assert_true(sl_cloudinit_add_keys(ctx, "127.100.0.7", NULL));
  assert_string_equal(sl_context_get(ctx, "SSH_PUBLIC_KEY"),
                      "ssh-ed25519 AAA k\nssh-ed25519 BBB ci");
  assert_string_equal(sl_context_get(ctx, "USER_DATA"),
                      sl_context_get(ctx, "CLOUD_INIT_USER_DATA"));
  assert_string_equal(sl_context_get(ctx, "USERDATA_ENCODING"), "base64");
  assert_string_equal(sl_context_get(ctx, "ETH0_IP"), "10.0.2.15");
  assert_string_equal(sl_context_get(ctx, "ETH0_DNS"), "1.1.1.1"); /* user value kept */
  assert_string_equal(sl_context_get(ctx, "ETH0_MAC"), "02:00:7f:64:00:07");
  assert_string_equal(sl_context_get(ctx, "PUBLIC_IP"), "127.100.0.7");
  g_autoptr(SlContext) plain = sl_context_new();
  sl_context_set(plain, "USER_DATA", "mine", NULL);
  assert_true(sl_cloudinit_add_keys(plain, NULL, NULL));
  assert_null(sl_context_get(plain, "SSH_PUBLIC_KEY"));
  assert_null(sl_context_get(plain, "USERDATA_ENCODING"));
  assert_false(sl_cloudinit_enabled(plain));
}

static int
setup(void **state)
{
  (void)state;
  tmpdir = g_dir_make_tmp("test-cloudinit-XXXXXX", NULL);
  return tmpdir ? 0 : -1;
}

static int
teardown(void **state)
{
  (void)state;
  g_autofree gchar *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
  int status;
  g_free(sh(cmd, &status));
  g_free(tmpdir);
  return 0;
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gzip_python_bytes),  cmocka_unit_test(test_golden_file),
      cmocka_unit_test(test_multipart_layout),   cmocka_unit_test(test_none_last_wins),
      cmocka_unit_test(test_encode_errors),      cmocka_unit_test(test_parse_pairs),
      cmocka_unit_test(test_cli_context_object), cmocka_unit_test(test_vfat_disk),
      cmocka_unit_test(test_vfat_disk_tools),    cmocka_unit_test(test_vfat_limits),
      cmocka_unit_test(test_derived_keys),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
