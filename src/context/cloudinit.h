/* cloudinit.h - the CloudInit contextualization method (protocols.md §6, guide §8.4.2-8.4.4).
 *
 * Client side (stratus-prepare-context, stratus-run-instance --cloud-init):
 * `mimetype,file` pairs are encoded into three context keys
 *     CONTEXT_METHOD=cloud-init
 *     CLOUD_INIT_AUTHORIZED_KEYS=<base64 of the ssh key files>
 *     CLOUD_INIT_USER_DATA=<base64 of gzip -9 of the user data>
 * where the user data is a MIME multipart (Python email.MIMEMultipart of
 * MIMEText parts, subtype = mimetype) or, with the pseudo-type `none`, the
 * raw content of the LAST `none` file (the guide; the 13.05 source took the
 * first). Output is deterministic: gzip mtime 0, no file name, OS 255 (as
 * Python's gzip module), and the MIME boundary is derived from the content
 * (SHA-256) instead of Python's random number. docs/context.md has details.
 *
 * Server side (Prolog): derived keys for real cloud-init's OpenNebula
 * datasource (SSH_PUBLIC_KEY, USER_DATA + USERDATA_ENCODING, ETH0_*) and the
 * 1,024,000-byte VFAT disk labelled _CLOUD_INIT holding meta.js and
 * root/.ssh/authorized_keys.
 *
 * Errors: SL_ERROR_INVALID for bad pairs, types, files and sizes (messages
 * meant for "  [ERROR] <message>"), SL_ERROR_NOT_FOUND for missing files,
 * SL_ERROR_INTERNAL for I/O and zlib failures.
 */
#pragma once
#include <glib.h>

#include "context/context.h"

#define SL_CLOUDINIT_FILE "cloud-init.txt"
#define SL_CLOUDINIT_LABEL "_CLOUD_INIT"
#define SL_CLOUDINIT_DISK_SIZE 1024000
#define SL_CLOUDINIT_LIMIT 16384 /* bytes of gzip'd user data */
#define SL_CLOUDINIT_METHOD "cloud-init"

/* One `mimetype,file` pair. type is "ssh", "none" or a text/ subtype
 * ("x-shellscript"; a "text/" prefix is removed). */
typedef struct {
  gchar *type;
  gchar *path;
} SlCloudInitPair;
void sl_cloudinit_pair_free(SlCloudInitPair *pair);

/* "mimetype,file": split at the first ','; both parts non-empty, else
 * "Invalid cloud-init pair `<item>` (mimetype,file expected)"; an unknown
 * type fails with "Unknown cloud-init mimetype `<t>` in `<item>` (...)". */
SlCloudInitPair *sl_cloudinit_parse_pair(const char *item, GError **error);
/* 'a,b#c,d' (empty items skipped; none at all is an error). GPtrArray of
 * SlCloudInitPair (owning), in order. */
GPtrArray *sl_cloudinit_parse_arg(const char *arg, GError **error);

/* The encoded values; NULL when there is nothing of that kind. */
typedef struct {
  gchar *authorized_keys; /* base64 */
  gchar *user_data;       /* base64 of gzip */
  gsize gzip_size;        /* bytes of gzip'd user data (<= SL_CLOUDINIT_LIMIT) */
} SlCloudInit;
void sl_cloudinit_free(SlCloudInit *ci);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlCloudInit, sl_cloudinit_free)

/* Reads the files of the pairs and encodes them. Files must exist
 * ("cloud-init file `<f>` does not exist") and be text (no NUL byte, valid
 * UTF-8: "cloud-init file `<f>` is binary; user data must be text"). Too
 * much user data: "multipart size (<n>) exceeds limit (16384)". */
SlCloudInit *sl_cloudinit_encode(GPtrArray *pairs, GError **error);

/* The same from in-memory parts (tests): types[i], names[i] (base names),
 * contents[i]; n parts. */
SlCloudInit *sl_cloudinit_encode_data(const char *const *types, const char *const *names,
                                      GBytes *const *contents, gsize n, GError **error);

/* The MIME multipart text of text parts (Python 2.7 email.MIMEMultipart
 * layout, deterministic boundary). */
gchar *sl_cloudinit_multipart(const char *const *subtypes, const char *const *names,
                              GBytes *const *contents, gsize n);

/* The text of cloud-init.txt as stratus-prepare-context 13.05 wrote it:
 * "CONTEXT_METHOD=cloud-init\nCLOUD_INIT_AUTHORIZED_KEYS=..\nCLOUD_INIT_USER_DATA=..\n\n"
 * (the lines joined with "\n", the user-data line carrying its own extra
 * newline, plus a final newline; an absent value leaves out its line). */
gchar *sl_cloudinit_render(const SlCloudInit *ci);

/* gzip (deflate level 9; header 1f 8b 08 00, mtime 0, xfl 2, os 255). */
GBytes *sl_gzip(const void *data, gsize len);
/* gunzip with a limit on the output ("... larger than <max> bytes"). */
GBytes *sl_gunzip(const void *data, gsize len, gsize max, GError **error);

/* ---- server side (cidisk.c) ---- */

/* TRUE if CONTEXT_METHOD is cloud-init. */
gboolean sl_cloudinit_enabled(const SlContext *ctx);
/* Checks the cloud-init keys of ctx (base64, gzip, UTF-8, fits the disk). */
gboolean sl_cloudinit_check(const SlContext *ctx, GError **error);
/* Adds the keys the guest-side tools read, unless ctx already has them:
 * SSH_PUBLIC_KEY (PUBLIC_KEY plus, for cloud-init, the decoded
 * CLOUD_INIT_AUTHORIZED_KEYS), USER_DATA = CLOUD_INIT_USER_DATA with
 * USERDATA_ENCODING=base64 (cloud-init method), and the network of the
 * guest's user-mode NIC: ETH0_IP 10.0.2.15, ETH0_MASK 255.255.255.0,
 * ETH0_GATEWAY 10.0.2.2, ETH0_DNS 10.0.2.3, ETH0_MAC 02:00:<public ip>
 * (when public_ip is an IPv4 address) and PUBLIC_IP. */
gboolean sl_cloudinit_add_keys(SlContext *ctx, const char *public_ip, GError **error);
/* Writes the _CLOUD_INIT VFAT disk (SL_CLOUDINIT_DISK_SIZE bytes, mode 0640)
 * with meta.js {"user-data": "<decoded user data>", "dsmode": "local"}
 * ("user-data" left out when there is none) and root/.ssh/authorized_keys
 * (decoded CLOUD_INIT_AUTHORIZED_KEYS, empty when none). */
gboolean sl_cloudinit_write_disk(const SlContext *ctx, const char *path, GError **error);
/* meta.js text for a decoded user data (NULL = none). */
gchar *sl_cloudinit_meta_js(const char *user_data);
