/* vfat.c - FAT12 images with VFAT long names, in memory (see vfat.h). */
#include "context/vfat.h"

#include <stdarg.h>
#include <string.h>

#include "context/iso.h"
#include "util/error.h"

#define SECTOR 512
#define ROOT_ENTRIES 512
#define FAT12_MAX_CLUSTERS 4084
#define SERIAL 0x20130501u

#define INVALID(...) invalid(error, __VA_ARGS__)

G_GNUC_PRINTF(2, 3) static gboolean invalid(GError **error, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree gchar *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID, msg);
  return FALSE;
}

typedef struct Node Node;
struct Node {
  gchar *name; /* UTF-8 long name; NULL for the root */
  GBytes *data;
  gboolean dir;
  GPtrArray *children; /* Node* (owning), in entry order */
  Node *parent;
  guint8 shortname[11];
  guint8 ntflags; /* 0x08 lower-case base, 0x10 lower-case extension */
  gunichar2 *lfn; /* UTF-16 name when long-name entries are needed */
  glong lfn_len;
  guint32 cluster, nclusters;
};

static void
node_free(Node *n)
{
  if (n == NULL)
    return;
  g_free(n->name);
  g_free(n->lfn);
  if (n->children)
    g_ptr_array_unref(n->children);
  g_free(n);
}

static Node *
node_new(const char *name, gboolean dir, Node *parent)
{
  Node *n = g_new0(Node, 1);
  n->name = g_strdup(name);
  n->dir = dir;
  n->parent = parent;
  if (dir)
    n->children = g_ptr_array_new_with_free_func((GDestroyNotify)node_free);
  return n;
}

static Node *
child(Node *dir, const char *name)
{
  for (guint i = 0; i < dir->children->len; i++) {
    Node *c = g_ptr_array_index(dir->children, i);
    if (g_utf8_collate(c->name, name) == 0 || g_ascii_strcasecmp(c->name, name) == 0)
      return c;
  }
  return NULL;
}

static gboolean
valid_component(const char *s)
{
  if (s[0] == '\0' || g_str_equal(s, ".") || g_str_equal(s, "..") || strlen(s) > 255 ||
      !g_utf8_validate(s, -1, NULL))
    return FALSE;
  for (const guchar *p = (const guchar *)s; *p; p++)
    if (*p < 0x20 || strchr("\\:*?\"<>|", *p) != NULL)
      return FALSE;
  return TRUE;
}

static gboolean
add_entry(Node *root, const SlVfatEntry *e, GError **error)
{
  g_auto(GStrv) parts = g_strsplit(e->path ? e->path : "", "/", -1);
  guint n = g_strv_length(parts);
  Node *dir = root;
  for (guint i = 0; i < n; i++) {
    if (!valid_component(parts[i]))
      return INVALID("invalid path '%s' in the FAT image", e->path ? e->path : "");
    Node *c = child(dir, parts[i]);
    gboolean last = i + 1 == n;
    if (last) {
      if (c != NULL)
        return INVALID("duplicate path '%s' in the FAT image", e->path);
      c = node_new(parts[i], FALSE, dir);
      c->data = e->data;
      g_ptr_array_add(dir->children, c);
    } else if (c == NULL) {
      c = node_new(parts[i], TRUE, dir);
      g_ptr_array_add(dir->children, c);
    } else if (!c->dir) {
      return INVALID("'%s' is both a file and a directory in the FAT image", parts[i]);
    }
    dir = c;
  }
  return TRUE;
}

/* ---- short names ---------------------------------------------------------- */

static gboolean
plain_83_char(char c)
{
  return g_ascii_isalnum(c) || c == '_' || c == '-';
}

/* "meta.js" -> "META    JS " with flags 0x18; FALSE if not plain 8.3. */
static gboolean
plain_83(const char *name, guint8 out[11], guint8 *flags)
{
  const char *dot = strchr(name, '.');
  gsize blen = dot ? (gsize)(dot - name) : strlen(name);
  const char *ext = dot ? dot + 1 : "";
  gsize elen = strlen(ext);
  if (blen == 0 || blen > 8 || elen > 3 || (dot && (elen == 0 || strchr(ext, '.'))))
    return FALSE;
  gboolean lo[2] = {FALSE, FALSE}, up[2] = {FALSE, FALSE};
  for (gsize i = 0; i < blen + elen; i++) {
    char c = i < blen ? name[i] : ext[i - blen];
    int part = i < blen ? 0 : 1;
    if (!plain_83_char(c))
      return FALSE;
    lo[part] |= g_ascii_islower(c);
    up[part] |= g_ascii_isupper(c);
  }
  if ((lo[0] && up[0]) || (lo[1] && up[1]))
    return FALSE;
  memset(out, ' ', 11);
  /* The bounds repeat the checks above so that GCC -O3 sees them too. */
  for (gsize i = 0; i < blen && i < 8; i++)
    out[i] = (guint8)g_ascii_toupper(name[i]);
  for (gsize i = 0; i < elen && i < 3; i++)
    out[8 + i] = (guint8)g_ascii_toupper(ext[i]);
  *flags = (guint8)((lo[0] ? 0x08 : 0) | (lo[1] ? 0x10 : 0));
  return TRUE;
}

static gboolean
short_taken(Node *dir, Node *self, const guint8 sn[11])
{
  for (guint i = 0; i < dir->children->len; i++) {
    Node *c = g_ptr_array_index(dir->children, i);
    if (c != self && c->shortname[0] != 0 && memcmp(c->shortname, sn, 11) == 0)
      return TRUE;
  }
  return FALSE;
}

static void
basis(const char *s, gsize len, gsize max, char *out)
{
  gsize n = 0;
  for (gsize i = 0; i < len && n < max; i++) {
    guchar c = (guchar)s[i];
    if (c == ' ' || c == '.')
      continue;
    out[n++] = plain_83_char((char)c) ? (char)g_ascii_toupper((char)c) : '_';
  }
  out[n] = '\0';
}

/* Windows-style "BASE~N.EXT" for a long name, unique in dir. */
static gboolean
generated(Node *dir, Node *self, guint8 sn[11])
{
  const char *name = self->name;
  while (*name == '.')
    name++;
  const char *dot = strrchr(name, '.');
  char base[9], ext[4];
  basis(name, dot ? (gsize)(dot - name) : strlen(name), 8, base);
  basis(dot ? dot + 1 : "", dot ? strlen(dot + 1) : 0, 3, ext);
  if (base[0] == '\0')
    g_strlcpy(base, "_", sizeof base);
  for (guint num = 1; num < 1000000; num++) {
    char tail[9];
    int tl = g_snprintf(tail, sizeof tail, "~%u", num);
    gsize keep = MIN(strlen(base), (gsize)(8 - tl));
    memset(sn, ' ', 11);
    memcpy(sn, base, keep);
    memcpy(sn + keep, tail, (gsize)tl);
    memcpy(sn + 8, ext, strlen(ext));
    if (!short_taken(dir, self, sn))
      return TRUE;
  }
  return FALSE;
}

static gboolean
name_tree(Node *dir, GError **error)
{
  for (guint i = 0; i < dir->children->len; i++) {
    Node *c = g_ptr_array_index(dir->children, i);
    if (!plain_83(c->name, c->shortname, &c->ntflags) || short_taken(dir, c, c->shortname)) {
      c->ntflags = 0;
      c->lfn = g_utf8_to_utf16(c->name, -1, NULL, &c->lfn_len, NULL);
      if (c->lfn == NULL || !generated(dir, c, c->shortname))
        return INVALID("cannot name '%s' in the FAT image", c->name);
    }
    if (c->dir && !name_tree(c, error))
      return FALSE;
  }
  return TRUE;
}

/* ---- layout --------------------------------------------------------------- */

static guint
dir_entries(const Node *dir)
{
  guint n = dir->parent ? 2 : 1; /* "." and "..", or the volume label */
  for (guint i = 0; i < dir->children->len; i++) {
    const Node *c = g_ptr_array_index(dir->children, i);
    n += 1 + (c->lfn ? (guint)((c->lfn_len + 12) / 13) : 0);
  }
  return n;
}

typedef struct {
  guint8 *img;
  gsize size, cluster_bytes;
  guint32 spc, fat_secs, data_sec, clusters, next;
  guint16 date, time;
} Fs;

static void
le16(guint8 *p, guint v)
{
  p[0] = (guint8)v;
  p[1] = (guint8)(v >> 8);
}

static void
le32(guint8 *p, guint32 v)
{
  for (int i = 0; i < 4; i++)
    p[i] = (guint8)(v >> (8 * i));
}

static void
fat_set(Fs *fs, guint32 n, guint v)
{
  for (guint f = 0; f < 2; f++) {
    guint8 *fat = fs->img + SECTOR * (1 + f * fs->fat_secs);
    gsize off = n * 3 / 2;
    if (n % 2 == 0) {
      fat[off] = (guint8)v;
      fat[off + 1] = (guint8)((fat[off + 1] & 0xF0) | ((v >> 8) & 0x0F));
    } else {
      fat[off] = (guint8)((fat[off] & 0x0F) | ((v << 4) & 0xF0));
      fat[off + 1] = (guint8)(v >> 4);
    }
  }
}

static gboolean
allocate(Fs *fs, Node *n, GError **error)
{
  gsize bytes = 0;
  if (n->dir)
    bytes = (gsize)dir_entries(n) * 32;
  else if (n->data)
    bytes = g_bytes_get_size(n->data);
  n->nclusters = (guint32)((bytes + fs->cluster_bytes - 1) / fs->cluster_bytes);
  if (n->nclusters > 0) {
    if (fs->next + n->nclusters > fs->clusters + 2)
      return INVALID("the files do not fit in a %" G_GSIZE_FORMAT "-byte FAT file system",
                     fs->size);
    n->cluster = fs->next;
    fs->next += n->nclusters;
    for (guint32 i = 0; i < n->nclusters; i++)
      fat_set(fs, n->cluster + i, i + 1 < n->nclusters ? n->cluster + i + 1 : 0xFFF);
  }
  for (guint i = 0; n->dir && i < n->children->len; i++)
    if (!allocate(fs, g_ptr_array_index(n->children, i), error))
      return FALSE;
  return TRUE;
}

static guint8 *
put_entry(Fs *fs, guint8 *p, const guint8 name[11], guint8 attr, guint8 flags, guint32 cluster,
          guint32 size)
{
  memcpy(p, name, 11);
  p[11] = attr;
  p[12] = flags;
  le16(p + 14, fs->time);
  le16(p + 16, fs->date);
  le16(p + 18, fs->date);
  le16(p + 22, fs->time);
  le16(p + 24, fs->date);
  le16(p + 26, cluster);
  le32(p + 28, size);
  return p + 32;
}

static guint8
lfn_checksum(const guint8 sn[11])
{
  guint8 sum = 0;
  for (int i = 0; i < 11; i++)
    sum = (guint8)(((sum & 1) << 7) + (sum >> 1) + sn[i]);
  return sum;
}

static guint8 *
put_lfn(guint8 *p, const Node *c)
{
  static const int pos[13] = {1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30};
  guint count = (guint)((c->lfn_len + 12) / 13);
  guint8 sum = lfn_checksum(c->shortname);
  for (guint k = count; k >= 1; k--, p += 32) {
    memset(p, 0, 32);
    p[0] = (guint8)(k | (k == count ? 0x40 : 0));
    p[11] = 0x0F;
    p[13] = sum;
    for (int j = 0; j < 13; j++) {
      glong idx = (glong)(k - 1) * 13 + j;
      guint v = idx < c->lfn_len ? c->lfn[idx] : idx == c->lfn_len ? 0 : 0xFFFF;
      le16(p + pos[j], v);
    }
  }
  return p;
}

static guint8 *
cluster_ptr(Fs *fs, guint32 cluster)
{
  return fs->img + (gsize)fs->data_sec * SECTOR + (gsize)(cluster - 2) * fs->cluster_bytes;
}

static void
write_dir(Fs *fs, Node *dir, const char *label)
{
  guint8 *p = dir->parent ? cluster_ptr(fs, dir->cluster)
                          : fs->img + (gsize)SECTOR * (1 + 2 * fs->fat_secs);
  if (dir->parent) {
    guint8 dot[11], dotdot[11];
    memset(dot, ' ', 11);
    memset(dotdot, ' ', 11);
    dot[0] = dotdot[0] = dotdot[1] = '.';
    p = put_entry(fs, p, dot, 0x10, 0, dir->cluster, 0);
    p = put_entry(fs, p, dotdot, 0x10, 0, dir->parent->parent ? dir->parent->cluster : 0, 0);
  } else {
    guint8 vol[11];
    memset(vol, ' ', 11);
    memcpy(vol, label, strlen(label));
    p = put_entry(fs, p, vol, 0x08, 0, 0, 0);
  }
  for (guint i = 0; i < dir->children->len; i++) {
    Node *c = g_ptr_array_index(dir->children, i);
    if (c->lfn)
      p = put_lfn(p, c);
    guint32 size = c->dir || !c->data ? 0 : (guint32)g_bytes_get_size(c->data);
    p = put_entry(fs, p, c->shortname, c->dir ? 0x10 : 0x20, c->ntflags,
                  c->nclusters ? c->cluster : 0, size);
    if (c->dir)
      write_dir(fs, c, label);
    else if (size > 0)
      memcpy(cluster_ptr(fs, c->cluster), g_bytes_get_data(c->data, NULL), size);
  }
}

static void
boot_sector(Fs *fs, const char *label)
{
  guint8 *b = fs->img;
  static const guint8 jump[3] = {0xEB, 0x3C, 0x90};
  memcpy(b, jump, 3);
  memcpy(b + 3, "MSWIN4.1", 8);
  le16(b + 11, SECTOR);
  b[13] = (guint8)fs->spc;
  le16(b + 14, 1);
  b[16] = 2;
  le16(b + 17, ROOT_ENTRIES);
  guint32 total = (guint32)(fs->size / SECTOR);
  le16(b + 19, total < 65536 ? total : 0);
  b[21] = 0xF8;
  le16(b + 22, fs->fat_secs);
  le16(b + 24, 32);
  le16(b + 26, 64);
  le32(b + 32, total < 65536 ? 0 : total);
  b[36] = 0x80;
  b[38] = 0x29;
  le32(b + 39, SERIAL);
  memset(b + 43, ' ', 11);
  memcpy(b + 43, label, strlen(label));
  memcpy(b + 54, "FAT12   ", 8);
  static const guint8 code[] = {0xCD, 0x18, 0xEB, 0xFE}; /* int 18h (no boot); spin */
  memcpy(b + 62, code, sizeof code);
  b[510] = 0x55;
  b[511] = 0xAA;
}

static gboolean
geometry(Fs *fs, GError **error)
{
  guint32 total = (guint32)(fs->size / SECTOR);
  guint32 root_secs = ROOT_ENTRIES * 32 / SECTOR;
  for (fs->spc = 4; fs->spc <= 128; fs->spc *= 2) {
    guint32 approx = total / fs->spc + 2;
    fs->fat_secs = (approx * 3 / 2 + SECTOR) / SECTOR;
    fs->data_sec = 1 + 2 * fs->fat_secs + root_secs;
    fs->clusters = (total - fs->data_sec) / fs->spc;
    if (fs->clusters <= FAT12_MAX_CLUSTERS) {
      fs->cluster_bytes = (gsize)fs->spc * SECTOR;
      fs->next = 2;
      return TRUE;
    }
  }
  return INVALID("no FAT12 geometry for %" G_GSIZE_FORMAT " bytes", fs->size);
}

static gboolean
valid_label(const char *label)
{
  gsize len = label ? strlen(label) : 0;
  if (len == 0 || len > 11)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isupper(label[i]) && !g_ascii_isdigit(label[i]) && label[i] != '_' &&
        label[i] != '-')
      return FALSE;
  return TRUE;
}

GBytes *
sl_vfat_build(const char *label, gsize size, const SlVfatEntry *entries, gsize n, GError **error)
{
  if (size < 64 * 1024 || size > 32 * 1024 * 1024 || size % SECTOR != 0) {
    INVALID("FAT image size %" G_GSIZE_FORMAT " is not a multiple of 512 in 64 KiB..32 MiB", size);
    return NULL;
  }
  if (!valid_label(label)) {
    INVALID("invalid FAT volume label '%s'", label ? label : "");
    return NULL;
  }
  Node *root = node_new(NULL, TRUE, NULL);
  Fs fs = {.size = size};
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(SL_ISO_TIMESTAMP);
  fs.date = (guint16)(((g_date_time_get_year(t) - 1980) << 9) | (g_date_time_get_month(t) << 5) |
                      g_date_time_get_day_of_month(t));
  fs.time = (guint16)((g_date_time_get_hour(t) << 11) | (g_date_time_get_minute(t) << 5) |
                      (g_date_time_get_second(t) / 2));
  gboolean ok = geometry(&fs, error);
  for (gsize i = 0; ok && i < n; i++)
    ok = add_entry(root, &entries[i], error);
  ok = ok && name_tree(root, error);
  if (ok && dir_entries(root) > ROOT_ENTRIES)
    ok = INVALID("too many entries in the FAT root directory");
  if (ok) {
    fs.img = g_malloc0(size);
    boot_sector(&fs, label);
    fat_set(&fs, 0, 0xFF8);
    fat_set(&fs, 1, 0xFFF);
    for (guint i = 0; ok && i < root->children->len; i++)
      ok = allocate(&fs, g_ptr_array_index(root->children, i), error);
    if (ok)
      write_dir(&fs, root, label);
  }
  node_free(root);
  if (!ok) {
    g_free(fs.img);
    return NULL;
  }
  return g_bytes_new_take(fs.img, size);
}

gboolean
sl_vfat_write(const char *path, const char *label, gsize size, const SlVfatEntry *entries, gsize n,
              GError **error)
{
  g_autoptr(GBytes) img = sl_vfat_build(label, size, entries, n, error);
  if (img == NULL)
    return FALSE;
  g_autoptr(GError) local = NULL;
  if (!g_file_set_contents_full(path, g_bytes_get_data(img, NULL), (gssize)size,
                                G_FILE_SET_CONTENTS_CONSISTENT, 0640, &local)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "cannot write %s: %s", path, local->message);
    return FALSE;
  }
  return TRUE;
}
