/* save-steps.c - the work of each save step (worker threads), the upload,
 * the mail body and the [mail]/[marketplace]/[endorser] settings. See save.h
 * for the flow; every step is idempotent and records the next one. */
#include "cloud/save-steps.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "image/identifier.h"
#include "market/build.h"
#include "market/validate.h"
#include "util/error.h"
#include "util/http-client.h"

#define UPLOAD_ATTEMPTS 3

/* ---- settings ------------------------------------------------------------ */

static char *
key_string(GKeyFile *kf, const char *group, const char *key)
{
  char *v = kf ? g_key_file_get_string(kf, group, key, NULL) : NULL;
  if (v && !*g_strstrip(v))
    g_clear_pointer(&v, g_free);
  return v;
}

gboolean
sl_save_settings_load(SlSaveSettings *s, const char *path, GError **error)
{
  g_autoptr(GKeyFile) kf = NULL;
  if (path) {
    kf = g_key_file_new();
    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error)) {
      g_prefix_error(error, "%s: ", path);
      return FALSE;
    }
  }
  s->mail_server = key_string(kf, "mail", "server");
  if (!s->mail_server)
    s->mail_server = g_strdup("smtp://127.0.0.1:25");
  s->mail_from = key_string(kf, "mail", "from");
  if (!s->mail_from)
    s->mail_from = g_strdup_printf("noreply@%s", g_get_host_name());
  /* the Marketplace the cloud uses for images ([cloud], docs/images.md) */
  s->marketplace = key_string(kf, "cloud", "marketplace_endpoint");
  s->marketplace_ca = key_string(kf, "cloud", "marketplace_ca");
  s->endorser_p12 = key_string(kf, "endorser", "p12");
  s->endorser_password = key_string(kf, "endorser", "password");
  if (!g_str_has_prefix(s->mail_server, "smtp://") &&
      !g_str_has_prefix(s->mail_server, "smtps://")) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "[mail] server must be smtp://HOST:PORT: %s",
                s->mail_server);
    return FALSE;
  }
  if (!sl_mail_address_is_valid(s->mail_from)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "[mail] from is not an address: %s",
                s->mail_from);
    return FALSE;
  }
  return TRUE;
}

void
sl_save_settings_clear(SlSaveSettings *s)
{
  g_free(s->mail_server);
  g_free(s->mail_from);
  g_free(s->marketplace);
  g_free(s->marketplace_ca);
  g_free(s->endorser_p12);
  if (s->endorser_password)
    memset(s->endorser_password, 0, strlen(s->endorser_password));
  g_free(s->endorser_password);
  g_free(s->endpoint);
  g_free(s->ca_file);
  memset(s, 0, sizeof *s);
}

/* ---- helpers --------------------------------------------------------------- */

static const char *
st_str(SaveJob *job, const char *key)
{
  return json_string_value(json_object_get(job->state, key));
}

static const char *
req_str(SaveJob *job, const char *key)
{
  return json_string_value(json_object_get(json_object_get(job->state, "request"), key));
}

static SaveCtx *
ctx_of(SaveJob *job)
{
  return job->cloud->save;
}

static gboolean
fsync_path(const char *path, gboolean dir, GError **error)
{
  int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
  gboolean ok = fd >= 0 && fsync(fd) == 0;
  int e = errno;
  if (fd >= 0)
    close(fd);
  if (!ok)
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot sync %s: %s", path, g_strerror(e));
  return ok;
}

char *
sl_save_marketplace_url(const char *endpoint)
{
  g_autofree char *e = g_strstrip(g_strdup(endpoint ? endpoint : ""));
  while (*e && e[strlen(e) - 1] == '/')
    e[strlen(e) - 1] = '\0';
  if (strstr(e, "://"))
    return g_steal_pointer(&e);
  return g_strdup_printf("https://%s", e);
}

/* "1.0" -> "1.1", "2" -> "2.1", "" -> "1.0". */
static char *
next_version(const char *v)
{
  if (!v || !*v)
    return g_strdup("1.0");
  g_auto(GStrv) parts = g_strsplit(v, ".", 3);
  if (!parts[1])
    return g_strdup_printf("%s.1", parts[0]);
  gint64 minor = g_ascii_strtoll(parts[1], NULL, 10);
  return g_strdup_printf("%s.%" G_GINT64_FORMAT, parts[0], minor + 1);
}

/* ---- steps ------------------------------------------------------------------ */

gboolean
sl_save_step_sync(SaveJob *job, GError **error)
{
  g_autofree char *part = sl_save_path(job, "image.raw.part");
  g_autofree char *raw = sl_save_path(job, "image.raw");
  if (!fsync_path(part, FALSE, error))
    return FALSE;
  if (g_rename(part, raw) != 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot rename %s: %s", part,
                g_strerror(errno));
    return FALSE;
  }
  return fsync_path(job->dir, TRUE, error) && sl_save_persist(job, SAVE_CONVERTED, error);
}

/* The signed entry the origin image was cached with, or NULL. */
static SlMarketEntry *
origin_entry(SaveJob *job)
{
  const char *origin = st_str(job, "origin");
  if (!origin)
    return NULL;
  g_autofree char *path = sl_image_cache_entry_path(job->cloud->images, origin);
  g_autofree char *xml = NULL;
  gsize len = 0;
  if (!path || !g_file_get_contents(path, &xml, &len, NULL))
    return NULL;
  g_autoptr(GError) error = NULL;
  SlMarketEntry *e = sl_market_entry_parse(xml, len, &error);
  if (!e)
    g_warning("vm %" G_GINT64_FORMAT ": origin entry %s: %s", job->id, path, error->message);
  return e;
}

gboolean
sl_save_step_hash(SaveJob *job, GError **error)
{
  SaveCtx *sc = ctx_of(job);
  g_autofree char *raw = sl_save_path(job, "image.raw");
  g_autoptr(SlMarketEntry) origin = origin_entry(job);
  const char *uuid = st_str(job, "uuid");
  const char *endpoint = sc->settings.endpoint ? sc->settings.endpoint : "127.0.0.1:2634";
  g_autofree char *pdisk = g_strdup_printf("pdisk:%s:%s", endpoint, uuid);
  const char *locations[] = {pdisk, NULL};
  g_autofree char *version = req_str(job, "image_version") && *req_str(job, "image_version")
                                 ? g_strdup(req_str(job, "image_version"))
                                 : next_version(origin ? origin->version : NULL);
  SlMarketBuildInfo info = {
      .type = origin ? origin->type : NULL,
      .kind = origin ? origin->kind : NULL,
      .os = origin ? origin->os : NULL,
      .os_version = origin ? origin->os_version : NULL,
      .os_arch = origin ? origin->os_arch : NULL,
      .version = version,
      .compression = "",
      .locations = locations,
      .format = "raw",
      .creator = req_str(job, "author"),
      .title = req_str(job, "title"),
      .description = req_str(job, "comment"),
      .hypervisor = origin ? origin->hypervisor : NULL,
      .disks_bus = origin ? origin->disks_bus : NULL,
      .publisher = origin ? origin->publisher : NULL,
      .validity_hours = 48,
  };
  g_autoptr(SlMarketEntry) e = sl_market_build(raw, &info, error);
  if (!e)
    return FALSE;
  /* second location: the copy stratusd serves (GET /images/<id>) */
  g_ptr_array_add(e->locations, g_strdup_printf("https://%s/images/%s", endpoint, e->identifier));
  g_autofree char *xml = sl_market_entry_to_xml(e);
  g_autofree char *draft = sl_save_path(job, "draft.xml");
  if (!g_file_set_contents_full(draft, xml, -1,
                                G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0600,
                                error))
    return FALSE;
  json_object_set_new(job->state, "identifier", json_string(e->identifier));
  json_object_set_new(job->state, "sha1", json_string(e->sha1));
  json_object_set_new(job->state, "bytes", json_integer((json_int_t)e->bytes));
  json_object_set_new(job->state, "valid", json_string(e->valid));
  g_message("vm %" G_GINT64_FORMAT ": saved image %s (%" G_GUINT64_FORMAT " bytes, sha1 %s)",
            job->id, e->identifier, e->bytes, e->sha1);
  return sl_save_persist(job, SAVE_HASHED, error);
}

static SlMarketCredentials *
credentials(SaveCtx *sc, GError **error)
{
  g_mutex_lock(&sc->lock);
  SlMarketCredentials *c = sc->creds;
  g_mutex_unlock(&sc->lock);
  if (c)
    return c;
  if (sc->settings.endorser_p12) {
    c = sl_market_credentials_load_p12(
        sc->settings.endorser_p12,
        sc->settings.endorser_password ? sc->settings.endorser_password : "", error);
  } else {
    g_autofree char *p12 = g_build_filename(sc->data_dir, "endorser", "cloud.p12", NULL);
    g_autofree char *pass = g_build_filename(sc->data_dir, "endorser", "cloud.p12.pass", NULL);
    c = sl_save_endorser_load(p12, pass, sc->settings.mail_from, error);
  }
  if (!c)
    return NULL;
  g_mutex_lock(&sc->lock);
  if (sc->creds)
    sl_market_credentials_free(c);
  else
    sc->creds = c;
  c = sc->creds;
  g_mutex_unlock(&sc->lock);
  return c;
}

gboolean
sl_save_step_sign(SaveJob *job, GError **error)
{
  SlMarketCredentials *creds = credentials(ctx_of(job), error);
  g_autofree char *draft_path = sl_save_path(job, "draft.xml");
  g_autofree char *draft = NULL;
  gsize len = 0, out_len = 0;
  if (!creds || !g_file_get_contents(draft_path, &draft, &len, error))
    return FALSE;
  g_autofree char *signed_xml = sl_market_sign(draft, len, creds, NULL, NULL, &out_len, error);
  if (!signed_xml)
    return FALSE;
  g_autoptr(SlMarketEntry) check = sl_market_validate(signed_xml, out_len, SL_MARKET_CHECK_UPLOAD,
                                                      NULL, error); /* what the Marketplace runs */
  if (!check) {
    g_prefix_error(error, "signed entry: ");
    return FALSE;
  }
  json_object_set_new(job->state, "created", json_string(check->created));
  json_object_set_new(job->state, "endorser", json_string(check->email));
  g_autofree char *path = sl_save_path(job, "signed.xml");
  return g_file_set_contents_full(path, signed_xml, (gssize)out_len,
                                  G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                  0600, error) &&
         sl_save_persist(job, SAVE_SIGNED, error);
}

/* Title as a volume tag (at most SL_PDISK_MAX_TAG characters). */
static char *
tag_of(const char *title)
{
  if (!title)
    return g_strdup("");
  if (g_utf8_strlen(title, -1) <= SL_PDISK_MAX_TAG)
    return g_strdup(title);
  return g_utf8_substring(title, 0, SL_PDISK_MAX_TAG);
}

gboolean
sl_save_step_volume(SaveJob *job, GError **error)
{
  SlCloud *c = job->cloud;
  const char *uuid = st_str(job, "uuid");
  const char *owner = st_str(job, "owner");
  if (!c->pdisk) {
    sl_save_note(job, "persistent disks are disabled: no volume made");
    return sl_save_persist(job, SAVE_VOLUME, error);
  }
  g_autoptr(GError) local = NULL;
  g_autoptr(SlDisk) have = sl_store_disk_get(c->store, uuid, &local);
  if (have && have->state == SL_DISK_STATE_READY) /* made before a restart */
    return sl_save_persist(job, SAVE_VOLUME, error);
  g_clear_error(&local);
  g_autofree char *raw = sl_save_path(job, "image.raw");
  g_autofree char *tag = tag_of(req_str(job, "title"));
  SlDiskFields f = {.tag = tag,
                    .type = "MACHINE_IMAGE_ORIGIN",
                    .identifier = st_str(job, "identifier"),
                    .visibility = "private"};
  g_autoptr(SlDisk) disk = sl_pdisk_import(c->pdisk, owner, uuid, &f, raw, &local);
  if (!disk && g_error_matches(local, SL_ERROR, SL_ERROR_CONFLICT)) {
    /* another volume holds this identifier (same bytes saved before) */
    sl_save_note(job, "identifier %s is already registered by another volume",
                 st_str(job, "identifier"));
    g_clear_error(&local);
    f.identifier = NULL;
    disk = sl_pdisk_import(c->pdisk, owner, uuid, &f, raw, &local);
  }
  if (!disk) {
    g_propagate_prefixed_error(error, g_steal_pointer(&local), "volume: ");
    return FALSE;
  }
  g_message("vm %" G_GINT64_FORMAT ": volume %s (%s) holds the saved image", job->id, uuid, owner);
  return sl_save_persist(job, SAVE_VOLUME, error);
}

gboolean
sl_save_step_cache(SaveJob *job, GError **error)
{
  SlCloud *c = job->cloud;
  const char *id = st_str(job, "identifier");
  g_autofree char *src = c->pdisk ? sl_pdisk_volume_path(c->pdisk, st_str(job, "uuid")) : NULL;
  if (!src || !g_file_test(src, G_FILE_TEST_IS_REGULAR)) {
    g_free(src);
    src = sl_save_path(job, "image.raw");
  }
  g_autoptr(GError) local = NULL;
  g_autoptr(SlImage) have = sl_image_cache_get(c->images, id, &local);
  if (!have) {
    /* SHA-1 and size come from the `hashed` step: no second hash of the bytes */
    json_t *bytes = json_object_get(job->state, "bytes");
    g_autoptr(SlImage) img = sl_image_cache_add_known(c->images, src, st_str(job, "sha1"),
                                                      (guint64)json_integer_value(bytes), error);
    if (!img)
      return FALSE;
    if (g_strcmp0(img->identifier, id) != 0) {
      g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cached copy has identifier %s, not %s",
                  img->identifier, id);
      return FALSE;
    }
  }
  g_autofree char *entry = sl_image_cache_entry_path(c->images, id);
  g_autofree char *signed_path = sl_save_path(job, "signed.xml");
  g_autofree char *xml = NULL;
  gsize len = 0;
  if (entry && !g_file_test(entry, G_FILE_TEST_EXISTS) &&
      (!g_file_get_contents(signed_path, &xml, &len, error) ||
       !g_file_set_contents_full(entry, xml, (gssize)len,
                                 G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE, 0644,
                                 error)))
    return FALSE;
  return sl_save_persist(job, SAVE_CACHED, error);
}

/* ---- upload ------------------------------------------------------------------ */

gboolean
sl_save_upload(const char *url, const char *ca_file, const char *xml, gsize len, GError **error)
{
  const char *const headers[] = {"Content-Type: application/xml", "Accept: application/xml", NULL};
  SlHttpClientRequest req = {
      .url = url,
      .method = "POST",
      .headers = headers,
      .body = xml,
      .body_len = len,
      .ca_file = ca_file,
      .timeout_s = 60,
      .max_body = 4096,
      .truncate_body = TRUE,
  };
  SlHttpClientAnswer answer = {0};
  g_autoptr(GError) local = NULL;
  if (!sl_http_client_perform(&req, &answer, &local)) {
    g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE, "cannot reach %s: %s", url, local->message);
    sl_http_client_answer_clear(&answer);
    return FALSE;
  }
  long status = answer.status;
  if (status != 201 && status != 202) {
    GString *body = answer.body;
    g_autofree char *text = g_strstrip(g_strndup(body->str, MIN(body->len, 300)));
    g_strdelimit(text, "\r\n", ' ');
    g_set_error(error, SL_ERROR, SL_ERROR_UNAVAILABLE, "HTTP %ld from %s: %s", status, url, text);
    sl_http_client_answer_clear(&answer);
    return FALSE;
  }
  sl_http_client_answer_clear(&answer);
  return TRUE;
}

gboolean
sl_save_step_upload(SaveJob *job, GError **error)
{
  SaveCtx *sc = ctx_of(job);
  const char *mp = st_str(job, "marketplace");
  g_autofree char *url = g_strdup_printf("%s/metadata", mp);
  g_autofree char *self = g_strdup_printf("https://%s", sc->settings.endpoint);
  const char *ca = g_strcmp0(mp, self) == 0 ? sc->settings.ca_file : sc->settings.marketplace_ca;
  g_autofree char *path = sl_save_path(job, "signed.xml");
  g_autofree char *xml = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  gboolean ok = g_file_get_contents(path, &xml, &len, &local);
  for (int i = 0; ok && i < UPLOAD_ATTEMPTS; i++) {
    g_clear_error(&local);
    ok = sc->hooks.upload ? sc->hooks.upload(url, ca, xml, len, sc->hooks.data, &local)
                          : sl_save_upload(url, ca, xml, len, &local);
    if (ok || !g_error_matches(local, SL_ERROR, SL_ERROR_UNAVAILABLE) || i + 1 == UPLOAD_ATTEMPTS)
      break;
    ok = TRUE;
    g_usleep(2 * G_USEC_PER_SEC);
  }
  if (!ok || local) {
    g_warning("vm %" G_GINT64_FORMAT ": upload: %s", job->id, local->message);
    sl_save_note(job, "upload to %s failed: %s", mp, local->message);
    json_object_set_new(job->state, "upload_error", json_string(local->message));
  } else {
    g_message("vm %" G_GINT64_FORMAT ": entry %s uploaded to %s", job->id,
              st_str(job, "identifier"), mp);
  }
  return sl_save_persist(job, SAVE_UPLOADED, error);
}

/* ---- mail -------------------------------------------------------------------- */

char *
sl_save_mail_body(const char *identifier, const char *uuid, const char *marketplace,
                  const char *upload_error)
{
  GString *s = g_string_new(NULL);
  g_string_append_printf(s,
                         "The image creation was SUCCESSFUL.\n"
                         "\n"
                         "The image has an ID of %s.\n"
                         "It is stored in the persistent disk service with UUID %s.\n"
                         "\n"
                         "A draft image manifest entry for the new image is attached to this\n"
                         "message (manifest-not-signed.xml). ",
                         identifier, uuid ? uuid : "(none)");
  if (!upload_error)
    g_string_append_printf(s,
                           "A copy of this entry, signed by the cloud, has been\n"
                           "uploaded to the Marketplace %s.\n",
                           marketplace);
  else
    g_string_append_printf(s,
                           "The copy signed by the cloud could NOT be uploaded to\n"
                           "the Marketplace %s: %s\n",
                           marketplace, upload_error);
  g_string_append_printf(s,
                         "\n"
                         "The validity of this entry is only 48 hours! To keep the image\n"
                         "available, check the attached draft, sign it with your own\n"
                         "certificate (stratus-sign-metadata) and upload it to the\n"
                         "Marketplace (stratus-upload-metadata) before it expires.\n"
                         "\n"
                         "Start the new image with:\n"
                         "  stratus-run-instance %s\n",
                         identifier);
  return g_string_free(s, FALSE);
}

gboolean
sl_save_step_mail(SaveJob *job, GError **error)
{
  SaveCtx *sc = ctx_of(job);
  const char *id = st_str(job, "identifier");
  g_autofree char *body = sl_save_mail_body(id, st_str(job, "uuid"), st_str(job, "marketplace"),
                                            st_str(job, "upload_error"));
  g_autofree char *subject = g_strdup_printf("New image created %s", id);
  g_autofree char *draft_path = sl_save_path(job, "draft.xml");
  g_autofree char *draft = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  if (g_file_get_contents(draft_path, &draft, &len, &local)) {
    SlMailAttachment att = {"manifest-not-signed.xml", "application/xml", draft, len};
    SlMail m = {.server = sc->settings.mail_server,
                .from = sc->settings.mail_from,
                .to = req_str(job, "author_email"),
                .subject = subject,
                .body = body,
                .attachments = &att,
                .n_attachments = 1};
    if (sc->hooks.mail ? sc->hooks.mail(&m, sc->hooks.data, &local) : sl_mail_send(&m, &local))
      g_message("vm %" G_GINT64_FORMAT ": mail sent to %s", job->id, m.to);
  }
  if (local) {
    g_warning("vm %" G_GINT64_FORMAT ": mail: %s", job->id, local->message);
    sl_save_note(job, "mail to %s not sent: %s", req_str(job, "author_email"), local->message);
  }
  return sl_save_persist(job, SAVE_MAILED, error);
}
