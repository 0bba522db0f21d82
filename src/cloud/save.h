/* save.h - saving a VM's disk as a new image at shutdown (`--save`,
 * protocols.md §7.1, docs/save.md). Included by cloud.h.
 *
 * After the guest powered off (Shutdown -> Epilog) and QEMU has quit, the
 * Epilog of a VM created with a `save` object runs these steps, each one
 * recorded in DATA/saves/<vm>/state.json (written atomically, fsync'd)
 * before the next one starts, so a daemon restart resumes at the last
 * recorded step (every step is idempotent):
 *
 *   started -> converted  qemu-img convert -O raw overlay+base (GSubprocess),
 *                          fsync, rename image.raw.part -> image.raw
 *           -> hashed     MD5/SHA-1/SHA-256/SHA-512, bytes, identifier; the
 *                          unsigned draft entry (derived from the origin's)
 *           -> signed     signed with the cloud's endorser key
 *           -> volume     pdisk volume of the owner (MACHINE_IMAGE_ORIGIN,
 *                          tag = title, identifier = new id), READY only once
 *                          its bytes are complete (sl_pdisk_import)
 *           -> cached     image cache: the image + its signed entry (bootable
 *                          by identifier)
 *           -> uploaded   POST <marketplace>/metadata (failure: noted)
 *           -> mailed     SMTP mail to the author (failure: noted)
 *           -> Done       the VM's error field keeps the notes
 *
 * Heavy steps run in worker threads (GTask) or subprocesses; the main
 * context only chains them. A kill during the save stops it at the next step
 * boundary (a volume already made stays). A failure before `cached` turns
 * the VM Failed ("save failed: ...").
 */
#pragma once
#include <glib.h>

#include "util/mail.h"

/* stratusd's configuration for saves (sl_save_settings_load):
 *   [mail]     server = smtp://127.0.0.1:25   from = noreply@<host name>
 *   [cloud]    marketplace_endpoint = https://host:port (NULL: this daemon)
 *              marketplace_ca = FILE  (CA for uploads to that Marketplace)
 *   [endorser] p12 = FILE  password = TEXT  (NULL: DATA/endorser/cloud.p12,
 *                                            made at first need) */
typedef struct {
  char *mail_server;
  char *mail_from;
  char *marketplace;
  char *marketplace_ca;
  char *endorser_p12;
  char *endorser_password;
  /* filled by stratusd, not read from the file */
  char *endpoint; /* "host:port" of this daemon: pdisk:/https locations, default Marketplace */
  char *ca_file;  /* this daemon's CA (DATA/tls/ca.crt), trusted for uploads */
} SlSaveSettings;

/* path NULL = all defaults. */
gboolean sl_save_settings_load(SlSaveSettings *s, const char *path, GError **error);
void sl_save_settings_clear(SlSaveSettings *s);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(SlSaveSettings, sl_save_settings_clear)

/* Test seams: NULL members use the real transport. stop_after names a step
 * after which the save stops without finishing the VM, as if the daemon died
 * there (unit tests of the resume path). */
typedef struct {
  gboolean (*upload)(const char *url, const char *ca_file, const char *xml, gsize len,
                     gpointer data, GError **error);
  gboolean (*mail)(const SlMail *mail, gpointer data, GError **error);
  gpointer data;
  const char *stop_after;
} SlSaveHooks;

/* The body of the mail (protocols.md §7.1); exported for tests. */
char *sl_save_mail_body(const char *identifier, const char *uuid, const char *marketplace,
                        const char *upload_error);

/* POST <marketplace>/metadata, Content-Type application/xml (201 or 202). */
gboolean sl_save_upload(const char *url, const char *ca_file, const char *xml, gsize len,
                        GError **error);

/* "https://host:port" from "https://host:port/", "host:port", "host". */
char *sl_save_marketplace_url(const char *endpoint);

/* Loads DATA/endorser/cloud.p12 (password in cloud.p12.pass), creating a
 * self-signed RSA key + certificate (CN=StratusLab cloud <host>, e-mail in
 * subjectAltName, 10 years) at first need. Files 0600, written atomically. */
typedef struct SlMarketCredentials SlMarketCredentials;
SlMarketCredentials *sl_save_endorser_load(const char *p12, const char *password_file,
                                           const char *email, GError **error);
