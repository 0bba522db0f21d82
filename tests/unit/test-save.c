/* test-save.c - the --save Epilog (src/cloud/save*.c) with the FAKE
 * hypervisor and real qemu-img/qemu-io: the whole flow (volume, cache,
 * signed upload, mail with the unsigned draft through an SMTP sink), resume
 * after a "crash" at every step, kill during a save, mail and upload
 * failures kept as notes, request checks, the mail body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <glib/gstdio.h>
#include <string.h>

#include "cloud/cloud.h"
#include "image/identifier.h"
#include "market/entry.h"
#include "market/sign.h"
#include "smtp-sink.h"
#include "cloud-helpers.h"
#include "helpers.h"
#include "util/error.h"

typedef struct {
  char *dir;
  SlStore *store;
  SlStorage *storage;
  SlPdisk *pdisk;
  SlImageCache *images;
  SlHypervisor *hv;
  SlCloud *cloud;
  char *image;
  SmtpSink *sink;
  char *mail_server;
  GPtrArray *uploads; /* char*: posted documents */
  char *upload_url;
  int upload_code; /* 0 = accept, else fail with this SL_ERROR code */
} Fx;

static gboolean
fake_upload(const char *url, const char *ca, const char *xml, gsize len, gpointer data,
            GError **error)
{
  (void)ca;
  Fx *f = data;
  g_free(f->upload_url);
  f->upload_url = g_strdup(url);
  if (f->upload_code) {
    g_set_error(error, SL_ERROR, f->upload_code, "HTTP 400 from %s: invalid metadata", url);
    return FALSE;
  }
  g_ptr_array_add(f->uploads, g_strndup(xml, len));
  return TRUE;
}

static SlCloud *
new_cloud(Fx *f, const char *stop_after)
{
  SlSaveSettings save = {.mail_server = f->mail_server,
                         .mail_from = "noreply@cloud.test",
                         .endpoint = "127.0.0.1:2634"};
  SlCloudConfig cfg = {.data_dir = f->dir,
                       .network = "10.9.0.0/28",
                       .mkswap = "true",
                       .pdisk = f->pdisk,
                       .node = "node1",
                       .save = &save};
  g_autoptr(GError) error = NULL;
  SlCloud *c = sl_cloud_new(f->store, f->images, f->hv, &cfg, &error);
  assert_non_null(c);
  SlSaveHooks hooks = {.upload = fake_upload, .data = f, .stop_after = stop_after};
  sl_cloud_set_save_hooks(c, &hooks);
  return c;
}

static int
setup(void **state)
{
  Fx *f = g_new0(Fx, 1);
  f->dir = th_tmpdir_new("test-save-XXXXXX");
  g_autoptr(GError) error = NULL;
  f->store = sl_store_open(f->dir, &error);
  g_autofree char *vol = g_build_filename(f->dir, "volumes", NULL);
  f->storage = sl_storage_file_new(vol, &error);
  assert_non_null(f->storage);
  f->pdisk = sl_pdisk_new(f->store, f->storage);
  f->images = sl_image_cache_new(f->store, f->dir, &error);
  f->image = th_base_image(f->images, f->dir, 1 << 20);
  f->hv = sl_hypervisor_fake_new();
  f->sink = smtp_sink_new();
  f->mail_server = g_strdup_printf("smtp://127.0.0.1:%u", smtp_sink_port(f->sink));
  f->uploads = g_ptr_array_new_with_free_func(g_free);
  f->cloud = new_cloud(f, NULL);
  *state = f;
  return 0;
}

static int
teardown(void **state)
{
  Fx *f = *state;
  th_cloud_free(f->cloud);
  sl_hypervisor_free(f->hv);
  sl_image_cache_free(f->images);
  sl_pdisk_free(f->pdisk);
  sl_storage_free(f->storage);
  sl_store_close(f->store);
  smtp_sink_free(f->sink);
  assert_int_equal(th_rm_tree(f->dir), 0);
  g_ptr_array_unref(f->uploads);
  g_free(f->upload_url);
  g_free(f->mail_server);
  g_free(f->image);
  g_free(f->dir);
  g_free(f);
  return 0;
}

/* ---- helpers ------------------------------------------------------------------ */

static json_t *
save_request(void)
{
  return json_pack("{s:s, s:s, s:s, s:s, s:s}", "author", "Joe_Builder", "author_email",
                   "builder@example.org", "image_version", "2.0", "title", "manual test image",
                   "comment", "manual_ubuntu_test_image");
}

static SlVmState
state_of(Fx *f, gint64 id)
{
  g_autoptr(SlVm) v = sl_store_vm_get(f->store, id, NULL);
  return v->state;
}

static void
wait_for(Fx *f, gint64 id, SlVmState want, int seconds)
{
  gint64 end = g_get_monotonic_time() + seconds * G_USEC_PER_SEC;
  while (state_of(f, id) != want && g_get_monotonic_time() < end)
    th_iterate();
  assert_string_equal(sl_vm_state_to_string(state_of(f, id)), sl_vm_state_to_string(want));
}

static char *
vm_path(Fx *f, const char *top, gint64 id, const char *name)
{
  g_autofree char *n = g_strdup_printf("%" G_GINT64_FORMAT, id);
  return g_build_filename(f->dir, top, n, name, NULL);
}

/* A Running VM with --save whose disk got 64 KiB of 'A' at offset 0. */
static gint64
running_vm(Fx *f, json_t *save)
{
  g_autoptr(SlVmDefSave) request = sl_vm_def_save_from_json(save, NULL);
  SlVmDef r = {.image = f->image, .cpu = -1, .ram = 128, .swap = 0, .save = request};
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vms = sl_cloud_vm_create(f->cloud, "alice", &r, &error);
  json_decref(save);
  assert_null(error);
  gint64 id = ((SlVm *)vms->pdata[0])->id;
  wait_for(f, id, SL_VM_RUNNING, 10);
  g_autofree char *overlay = vm_path(f, "vms", id, "disk.qcow2");
  g_autofree char *cmd =
      g_strdup_printf("qemu-io -f qcow2 -c 'write -P 0x41 0 64k' '%s' >/dev/null", overlay);
  assert_int_equal(system(cmd), 0);
  return id;
}

static void
shutdown_vm(Fx *f, gint64 id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SlVm) v = sl_cloud_vm_shutdown(f->cloud, "alice", id, &error);
  assert_null(error);
}

/* The SHA-1 identifier of base.img with 64 KiB of 'A' first. */
static char *
expected_identifier(void)
{
  g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA1);
  g_autofree char *a = g_strnfill(65536, 'A');
  g_autofree char *x = g_strnfill((1 << 20) - 65536, 'x');
  g_checksum_update(sum, (const guchar *)a, 65536);
  g_checksum_update(sum, (const guchar *)x, (gssize)strlen(x));
  return sl_identifier_from_hex(g_checksum_get_string(sum), NULL);
}

static GPtrArray *
volumes_with(Fx *f, const char *identifier)
{
  g_autoptr(GPtrArray) all = sl_store_disk_list_all(f->store, NULL);
  GPtrArray *out = g_ptr_array_new_with_free_func((GDestroyNotify)sl_disk_free);
  for (guint i = 0; i < all->len; i++) {
    SlDisk *d = all->pdata[i];
    if (g_strcmp0(d->identifier, identifier) == 0)
      g_ptr_array_add(out, sl_disk_copy(d));
  }
  return out;
}

/* Everything a finished save leaves behind. */
static void
check_saved(Fx *f, gint64 id, guint mails)
{
  g_autofree char *want = expected_identifier();
  g_autoptr(SlVm) v = sl_store_vm_get(f->store, id, NULL);
  assert_int_equal(v->state, SL_VM_DONE);
  assert_null(v->ip);
  g_autofree char *saves = vm_path(f, "saves", id, NULL);
  assert_false(g_file_test(saves, G_FILE_TEST_EXISTS));
  /* the volume: one, READY, the owner's, typed and tagged, the exact bytes */
  g_autoptr(GPtrArray) vols = volumes_with(f, want);
  assert_int_equal(vols->len, 1);
  SlDisk *d = vols->pdata[0];
  assert_int_equal(d->state, SL_DISK_STATE_READY);
  assert_int_equal(d->type, SL_DISK_MACHINE_IMAGE_ORIGIN);
  assert_string_equal(d->owner, "alice");
  assert_string_equal(d->tag, "manual test image");
  assert_int_equal(d->size, 1);
  g_autofree char *path = sl_pdisk_volume_path(f->pdisk, d->uuid);
  g_autofree char *vol_id = NULL;
  assert_true(sl_sha1_file(path, NULL, &vol_id, NULL, NULL));
  assert_string_equal(vol_id, want);
  /* the cache: bootable by identifier, with the signed entry */
  g_autoptr(SlImage) im = sl_image_cache_get(f->images, want, NULL);
  assert_non_null(im);
  g_autofree char *entry_path = sl_image_cache_entry_path(f->images, want);
  g_autofree char *entry = NULL;
  assert_true(g_file_get_contents(entry_path, &entry, NULL, NULL));
  /* the upload: the signed entry, derived fields */
  assert_true(f->uploads->len >= 1);
  const char *up = f->uploads->pdata[f->uploads->len - 1];
  assert_string_equal(up, entry);
  assert_string_equal(f->upload_url, "https://127.0.0.1:2634/metadata");
  g_autoptr(GError) error = NULL;
  g_autoptr(SlMarketSigner) signer = sl_market_verify(up, strlen(up), &error);
  assert_non_null(signer);
  assert_string_equal(signer->email, "noreply@cloud.test");
  g_autoptr(SlMarketEntry) e = sl_market_entry_parse(up, strlen(up), &error);
  assert_string_equal(e->identifier, want);
  assert_int_equal(e->bytes, 1 << 20);
  assert_int_equal(e->checksums->len, 4);
  assert_string_equal(e->version, "2.0");
  assert_string_equal(e->creator, "Joe_Builder");
  assert_string_equal(e->title, "manual test image");
  assert_string_equal(e->description, "manual_ubuntu_test_image");
  assert_string_equal(e->format, "raw");
  g_autofree char *loc = g_strdup_printf("pdisk:127.0.0.1:2634:%s", d->uuid);
  assert_string_equal(e->locations->pdata[0], loc);
  g_autofree char *https = g_strdup_printf("https://127.0.0.1:2634/images/%s", want);
  assert_string_equal(e->locations->pdata[1], https);
  g_autoptr(GDateTime) valid = sl_market_parse_date(e->valid);
  g_autoptr(GDateTime) made = sl_market_parse_date(e->image_created);
  assert_int_equal(g_date_time_difference(valid, made) / G_TIME_SPAN_HOUR, 48);
  /* the mail */
  assert_int_equal(smtp_sink_count(f->sink), mails);
  const char *rcpt = NULL;
  const char *msg = smtp_sink_message(f->sink, mails - 1, NULL, &rcpt);
  assert_string_equal(rcpt, "<builder@example.org>");
  g_autofree char *subject = mime_header(msg, "Subject");
  g_autofree char *want_subject = g_strdup_printf("New image created %s", want);
  assert_string_equal(subject, want_subject);
  gsize len = 0;
  g_autofree char *body = mime_part_body(msg, "text/plain", &len);
  g_autofree char *want_body = sl_save_mail_body(want, d->uuid, "https://127.0.0.1:2634", NULL);
  assert_string_equal(body, want_body);
  g_autofree char *draft = mime_part_body(msg, "filename=\"manifest-not-signed.xml\"", &len);
  g_autoptr(SlMarketEntry) de = sl_market_entry_parse(draft, len, &error);
  assert_non_null(de);
  assert_false(de->has_signature);
  assert_null(de->email);
  assert_string_equal(de->identifier, want);
}

/* ---- tests -------------------------------------------------------------------- */

static void
test_flow(void **state)
{
  Fx *f = *state;
  gint64 id = running_vm(f, save_request());
  shutdown_vm(f, id);
  wait_for(f, id, SL_VM_DONE, 60);
  th_drain();
  g_autoptr(SlVm) v = sl_store_vm_get(f->store, id, NULL);
  assert_null(v->error);
  check_saved(f, id, 1);
  assert_int_equal(f->uploads->len, 1);
  g_autofree char *run = vm_path(f, "vms", id, NULL);
  assert_false(g_file_test(run, G_FILE_TEST_EXISTS));
  /* the endorser key was made once, private */
  g_autofree char *p12 = g_build_filename(f->dir, "endorser", "cloud.p12", NULL);
  GStatBuf st;
  assert_int_equal(g_stat(p12, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  /* the new identifier boots */
  g_autofree char *want = expected_identifier();
  SlVmDef r = {.image = want, .cpu = -1, .ram = 128, .swap = 0};
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) vms = sl_cloud_vm_create(f->cloud, "alice", &r, &error);
  assert_null(error);
  wait_for(f, ((SlVm *)vms->pdata[0])->id, SL_VM_RUNNING, 10);
}

/* A "crash" (cloud freed without finishing) after every step, then recovery. */
static void
test_resume(void **state)
{
  Fx *f = *state;
  static const char *const steps[] = {"started", "converted", "hashed",   "signed",
                                      "volume",  "cached",    "uploaded", "mailed"};
  guint mails = 0;
  for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
    sl_cloud_free(f->cloud);
    th_drain();
    f->cloud = new_cloud(f, steps[i]);
    gint64 id = running_vm(f, save_request());
    shutdown_vm(f, id);
    g_autofree char *state_path = vm_path(f, "saves", id, "state.json");
    g_autofree char *want = g_strdup_printf("\"step\": \"%s\"", steps[i]);
    gint64 end = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
    g_autofree char *text = NULL;
    while (g_get_monotonic_time() < end) {
      g_clear_pointer(&text, g_free);
      if (g_file_get_contents(state_path, &text, NULL, NULL) && strstr(text, want))
        break;
      th_iterate();
    }
    if (!text || !strstr(text, want))
      fail_msg("step %s never recorded: %s", steps[i], text ? text : "(none)");
    th_drain();
    assert_int_equal(state_of(f, id), SL_VM_EPILOG);
    guint uploads = f->uploads->len;
    sl_cloud_free(f->cloud); /* the daemon dies */
    th_drain();
    f->cloud = new_cloud(f, NULL);
    g_autoptr(GError) error = NULL;
    assert_true(sl_cloud_recover(f->cloud, &error));
    wait_for(f, id, SL_VM_DONE, 60);
    th_drain();
    mails++;
    check_saved(f, id, mails);
    /* re-uploaded at most once: only when the crash came before "uploaded" */
    assert_int_equal(f->uploads->len, uploads + (i < 6 ? 1 : 0));
    /* the next round saves the same bytes again: drop this round's results */
    g_autofree char *id_new = expected_identifier();
    g_autoptr(GPtrArray) vols = volumes_with(f, id_new);
    for (guint k = 0; k < vols->len; k++)
      assert_true(sl_pdisk_delete(f->pdisk, "alice", ((SlDisk *)vols->pdata[k])->uuid, NULL));
    assert_true(sl_image_cache_remove(f->images, id_new, NULL));
  }
}

static void
test_kill_during_save(void **state)
{
  Fx *f = *state;
  sl_cloud_free(f->cloud);
  th_drain();
  g_setenv("SL_TEST_SAVE_PAUSE", "hashed:3000", TRUE);
  f->cloud = new_cloud(f, NULL);
  g_unsetenv("SL_TEST_SAVE_PAUSE");
  gint64 id = running_vm(f, save_request());
  shutdown_vm(f, id);
  g_autofree char *state_path = vm_path(f, "saves", id, "state.json");
  gint64 end = g_get_monotonic_time() + 20 * G_USEC_PER_SEC;
  g_autofree char *text = NULL;
  while ((!text || !strstr(text, "\"hashed\"")) && g_get_monotonic_time() < end) {
    g_clear_pointer(&text, g_free);
    g_file_get_contents(state_path, &text, NULL, NULL);
    th_iterate();
  }
  assert_int_equal(state_of(f, id), SL_VM_EPILOG);
  g_autoptr(GError) error = NULL;
  g_autoptr(SlVm) v = sl_cloud_vm_kill(f->cloud, "alice", id, &error);
  assert_null(error);
  wait_for(f, id, SL_VM_DONE, 10);
  th_spin_for(4 * G_USEC_PER_SEC); /* past the pause */
  g_autoptr(SlVm) row = sl_store_vm_get(f->store, id, NULL);
  assert_null(row->ip);
  g_autofree char *saves = vm_path(f, "saves", id, NULL);
  assert_false(g_file_test(saves, G_FILE_TEST_EXISTS));
  g_autofree char *run = vm_path(f, "vms", id, NULL);
  assert_false(g_file_test(run, G_FILE_TEST_EXISTS));
  g_autofree char *want = expected_identifier();
  g_autoptr(GPtrArray) vols = volumes_with(f, want);
  assert_int_equal(vols->len, 0);
  assert_int_equal(smtp_sink_count(f->sink), 0);
  assert_int_equal(f->uploads->len, 0);
}

/* Mail and upload failures do not lose the image; the VM's error says why. */
static void
test_failures_are_notes(void **state)
{
  Fx *f = *state;
  sl_cloud_free(f->cloud);
  th_drain();
  smtp_sink_free(f->sink); /* nobody listens there any more */
  f->sink = smtp_sink_new();
  f->upload_code = SL_ERROR_INVALID;
  f->cloud = new_cloud(f, NULL);
  gint64 id = running_vm(f, save_request());
  shutdown_vm(f, id);
  wait_for(f, id, SL_VM_DONE, 60);
  th_drain();
  g_autoptr(SlVm) v = sl_store_vm_get(f->store, id, NULL);
  assert_non_null(v->error);
  assert_non_null(strstr(v->error, "save: upload to https://127.0.0.1:2634 failed: HTTP 400"));
  assert_non_null(strstr(v->error, "mail to builder@example.org not sent: cannot send mail"));
  g_autofree char *want = expected_identifier();
  g_autoptr(GPtrArray) vols = volumes_with(f, want);
  assert_int_equal(vols->len, 1);
  g_autoptr(SlImage) im = sl_image_cache_get(f->images, want, NULL);
  assert_non_null(im);
}

static void
test_bad_requests(void **state)
{
  Fx *f = *state;
  struct {
    const char *field, *value;
    int number;
    const char *want;
  } cases[] = {
      {"title", NULL, 1, "save: title must be a non-empty one-line string"},
      {"title", "", 1, "save: title must be a non-empty one-line string"},
      {"comment", "two\nlines", 1, "save: comment must be a non-empty one-line string"},
      {"author_email", "nobody", 1, "save: invalid author_email"},
      {"marketplace", "", 1, NULL},
      {NULL, NULL, 2, "save needs a single VM (number 1)"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    json_t *save = save_request();
    if (cases[i].field && cases[i].value)
      json_object_set_new(save, cases[i].field, json_string(cases[i].value));
    else if (cases[i].field)
      json_object_del(save, cases[i].field);
    g_autoptr(SlVmDefSave) request = sl_vm_def_save_from_json(save, NULL);
    SlVmDef r = {.image = f->image,
                 .cpu = -1,
                 .ram = 128,
                 .swap = 0,
                 .number = cases[i].number,
                 .save = request};
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) vms = sl_cloud_vm_create(f->cloud, "alice", &r, &error);
    json_decref(save);
    if (!cases[i].want) {
      assert_non_null(vms);
      continue;
    }
    assert_null(vms);
    assert_int_equal(error->code, SL_ERROR_INVALID);
    assert_string_equal(error->message, cases[i].want);
  }
}

static void
test_mail_body(void **state)
{
  (void)state;
  g_autofree char *body =
      sl_save_mail_body("J-zVxEV5vfFscOKPLOHjtubmrJF", "9c5a2c03-8243-4a1b-a248-0f0d22d948c2",
                        "https://marketplace.example.org", NULL);
  assert_string_equal(body,
                      "The image creation was SUCCESSFUL.\n"
                      "\n"
                      "The image has an ID of J-zVxEV5vfFscOKPLOHjtubmrJF.\n"
                      "It is stored in the persistent disk service with UUID "
                      "9c5a2c03-8243-4a1b-a248-0f0d22d948c2.\n"
                      "\n"
                      "A draft image manifest entry for the new image is attached to this\n"
                      "message (manifest-not-signed.xml). A copy of this entry, signed by the "
                      "cloud, has been\n"
                      "uploaded to the Marketplace https://marketplace.example.org.\n"
                      "\n"
                      "The validity of this entry is only 48 hours! To keep the image\n"
                      "available, check the attached draft, sign it with your own\n"
                      "certificate (stratus-sign-metadata) and upload it to the\n"
                      "Marketplace (stratus-upload-metadata) before it expires.\n"
                      "\n"
                      "Start the new image with:\n"
                      "  stratus-run-instance J-zVxEV5vfFscOKPLOHjtubmrJF\n");
  g_autofree char *failed = sl_save_mail_body("X", "u", "https://m", "HTTP 400 from x: bad");
  assert_non_null(strstr(failed, "could NOT be uploaded to\nthe Marketplace https://m: HTTP 400"));
  g_autofree char *u1 = sl_save_marketplace_url("mp.example.org:8443/");
  assert_string_equal(u1, "https://mp.example.org:8443");
  g_autofree char *u2 = sl_save_marketplace_url("http://127.0.0.1:8080");
  assert_string_equal(u2, "http://127.0.0.1:8080");
}

int
main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mail_body),
      cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
      cmocka_unit_test_setup_teardown(test_flow, setup, teardown),
      cmocka_unit_test_setup_teardown(test_failures_are_notes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_kill_during_save, setup, teardown),
      cmocka_unit_test_setup_teardown(test_resume, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
