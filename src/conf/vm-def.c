/* vm-def.c - the VM definition: copy, free, the JSON members of a request and
 * the stored form (vm-def.h). */
#include "conf/vm-def.h"

#include <string.h>

#include "util/error.h"

SlVmDef *
sl_vm_def_new(void)
{
  SlVmDef *d = g_new0(SlVmDef, 1);
  d->cpu = d->ram = d->swap = -1;
  return d;
}

SlVmDefImage *
sl_vm_def_image_new(const char *id, const char *path, const char *format)
{
  SlVmDefImage *im = g_new0(SlVmDefImage, 1);
  im->id = g_strdup(id);
  im->path = g_strdup(path);
  im->format = g_strdup(format);
  return im;
}

void
sl_vm_def_fetch_free(SlVmDefFetch *f)
{
  if (!f)
    return;
  g_strfreev(f->locations);
  g_free(f->compression);
  g_strfreev(f->checksums);
  g_clear_pointer(&f->entry, g_bytes_unref);
  g_free(f);
}

void
sl_vm_def_image_free(SlVmDefImage *im)
{
  if (!im)
    return;
  g_free(im->id);
  g_free(im->path);
  g_free(im->format);
  sl_vm_def_fetch_free(im->fetch);
  g_free(im);
}

void
sl_vm_def_save_free(SlVmDefSave *s)
{
  if (!s)
    return;
  g_free(s->author);
  g_free(s->author_email);
  g_free(s->image_version);
  g_free(s->title);
  g_free(s->comment);
  g_free(s->marketplace);
  g_free(s);
}

void
sl_vm_def_free(SlVmDef *d)
{
  if (!d)
    return;
  g_free(d->image);
  g_free(d->name);
  g_strfreev(d->persistent);
  g_free(d->type);
  g_free(d->public_key);
  g_strfreev(d->context);
  g_clear_pointer(&d->readonly, g_ptr_array_unref);
  sl_vm_def_save_free(d->save);
  sl_vm_def_image_free(d->root);
  g_clear_pointer(&d->ports, g_array_unref);
  g_free(d->network);
  g_free(d->context_label);
  g_free(d->address);
  g_free(d);
}

/* ---- copy ------------------------------------------------------------------ */

static SlVmDefFetch *
fetch_copy(const SlVmDefFetch *f)
{
  if (!f)
    return NULL;
  SlVmDefFetch *c = g_new0(SlVmDefFetch, 1);
  c->locations = g_strdupv(f->locations);
  c->compression = g_strdup(f->compression);
  c->bytes = f->bytes;
  c->checksums = g_strdupv(f->checksums);
  c->entry = f->entry ? g_bytes_ref(f->entry) : NULL;
  return c;
}

static SlVmDefImage *
image_copy(const SlVmDefImage *im)
{
  if (!im)
    return NULL;
  SlVmDefImage *c = sl_vm_def_image_new(im->id, im->path, im->format);
  c->fetch = fetch_copy(im->fetch);
  return c;
}

static gpointer
image_copy_func(gconstpointer src, gpointer data)
{
  (void)data;
  return image_copy(src);
}

static SlVmDefSave *
save_copy(const SlVmDefSave *s)
{
  if (!s)
    return NULL;
  SlVmDefSave *c = g_new0(SlVmDefSave, 1);
  c->author = g_strdup(s->author);
  c->author_email = g_strdup(s->author_email);
  c->image_version = g_strdup(s->image_version);
  c->title = g_strdup(s->title);
  c->comment = g_strdup(s->comment);
  c->marketplace = g_strdup(s->marketplace);
  return c;
}

static GPtrArray *
images_new(void)
{
  return g_ptr_array_new_with_free_func((GDestroyNotify)sl_vm_def_image_free);
}

SlVmDef *
sl_vm_def_copy(const SlVmDef *d)
{
  SlVmDef *c = g_memdup2(d, sizeof *d);
  c->image = g_strdup(d->image);
  c->name = g_strdup(d->name);
  c->persistent = g_strdupv(d->persistent);
  c->type = g_strdup(d->type);
  c->public_key = g_strdup(d->public_key);
  c->context = g_strdupv(d->context);
  c->readonly = NULL;
  if (d->readonly) {
    c->readonly = g_ptr_array_copy(d->readonly, image_copy_func, NULL);
    g_ptr_array_set_free_func(c->readonly, (GDestroyNotify)sl_vm_def_image_free);
  }
  c->save = save_copy(d->save);
  c->root = image_copy(d->root);
  c->ports = NULL;
  if (d->ports) {
    c->ports = g_array_new(FALSE, FALSE, sizeof(guint16));
    g_array_append_vals(c->ports, d->ports->data, d->ports->len);
  }
  c->network = g_strdup(d->network);
  c->context_label = g_strdup(d->context_label);
  c->address = g_strdup(d->address);
  return c;
}

const char *
sl_vm_def_context_get(const SlVmDef *d, const char *key)
{
  for (char **p = d->context; p && p[0] && p[1]; p += 2)
    if (g_str_equal(p[0], key))
      return p[1];
  return NULL;
}

/* ---- JSON members ---------------------------------------------------------- */

static gboolean
invalid(GError **error, const char *what)
{
  g_set_error_literal(error, SL_ERROR, SL_ERROR_INVALID, what);
  return FALSE;
}

/* An array of strings -> strv; NULL when an item is not a string. */
static GStrv
strv_from_json(json_t *arr)
{
  if (!json_is_array(arr))
    return NULL;
  GStrv out = g_new0(char *, json_array_size(arr) + 1);
  for (size_t i = 0; i < json_array_size(arr); i++) {
    const char *s = json_string_value(json_array_get(arr, i));
    if (!s) {
      g_strfreev(out);
      return NULL;
    }
    out[i] = g_strdup(s);
  }
  return out;
}

static json_t *
strv_to_json(char **v)
{
  json_t *arr = json_array();
  for (char **p = v; p && *p; p++)
    json_array_append_new(arr, json_string(*p));
  return arr;
}

/* {KEY: "value"} -> KEY, value, ..., NULL (in the object's order). */
static GStrv
pairs_from_json(json_t *obj)
{
  if (!json_is_object(obj))
    return NULL;
  GStrv out = g_new0(char *, 2 * json_object_size(obj) + 1);
  size_t n = 0;
  const char *k;
  json_t *v;
  json_object_foreach(obj, k, v)
  {
    if (!json_is_string(v)) {
      g_strfreev(out);
      return NULL;
    }
    out[n++] = g_strdup(k);
    out[n++] = g_strdup(json_string_value(v));
  }
  return out;
}

static const char *const save_keys[] = {"author", "author_email", "image_version",
                                        "title",  "comment",      "marketplace"};

static char **
save_field(const SlVmDefSave *cs, size_t i)
{
  SlVmDefSave *s = (SlVmDefSave *)cs;
  char **fields[] = {&s->author, &s->author_email, &s->image_version,
                     &s->title,  &s->comment,      &s->marketplace};
  return fields[i];
}

SlVmDefSave *
sl_vm_def_save_from_json(json_t *obj, GError **error)
{
  if (!json_is_object(obj)) {
    invalid(error, "save must be an object");
    return NULL;
  }
  g_autoptr(SlVmDefSave) s = g_new0(SlVmDefSave, 1);
  for (size_t i = 0; i < G_N_ELEMENTS(save_keys); i++) {
    json_t *v = json_object_get(obj, save_keys[i]);
    if (!v)
      continue;
    if (!json_is_string(v)) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "save: %s must be a non-empty one-line string",
                  save_keys[i]);
      return NULL;
    }
    *save_field(s, i) = g_strndup(json_string_value(v), json_string_length(v));
  }
  return g_steal_pointer(&s);
}

json_t *
sl_vm_def_save_to_json(const SlVmDefSave *s)
{
  json_t *o = json_object();
  for (size_t i = 0; i < G_N_ELEMENTS(save_keys); i++)
    if (*save_field(s, i))
      json_object_set_new(o, save_keys[i], json_string(*save_field(s, i)));
  return o;
}

gboolean
sl_vm_def_set_json(SlVmDef *d, const char *member, json_t *value, GError **error)
{
  if (g_str_equal(member, "context")) {
    GStrv pairs = pairs_from_json(value);
    if (!pairs)
      return invalid(error, "context must be an object of KEY: value");
    g_strfreev(d->context);
    d->context = pairs;
  } else if (g_str_equal(member, "persistent_disks")) {
    GStrv uuids = strv_from_json(value);
    if (!uuids)
      return invalid(error, "persistent_disks must be an array of volume UUIDs");
    g_strfreev(d->persistent);
    d->persistent = uuids;
  } else if (g_str_equal(member, "readonly_disks")) {
    g_auto(GStrv) ids = strv_from_json(value);
    if (!ids)
      return invalid(error, "readonly_disks must be an array of image identifiers");
    g_clear_pointer(&d->readonly, g_ptr_array_unref);
    d->readonly = images_new();
    for (char **p = ids; *p; p++)
      g_ptr_array_add(d->readonly, sl_vm_def_image_new(*p, NULL, NULL));
  } else if (g_str_equal(member, "inbound_ports")) {
    g_autoptr(GArray) ports = g_array_new(FALSE, FALSE, sizeof(guint16));
    for (size_t i = 0; json_is_array(value) && i < json_array_size(value); i++) {
      json_t *v = json_array_get(value, i);
      guint64 n = 0;
      if (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 65535)
        n = (guint64)json_integer_value(v);
      else if (!json_is_string(v) ||
               !g_ascii_string_to_unsigned(json_string_value(v), 10, 1, 65535, &n, NULL))
        n = 0;
      if (n == 0 || ports->len >= SL_VM_DEF_MAX_PORTS)
        return invalid(error, "inbound_ports must be an array of at most 32 TCP ports (1-65535)");
      guint16 p = (guint16)n;
      g_array_append_val(ports, p);
    }
    if (!json_is_array(value))
      return invalid(error, "inbound_ports must be an array of at most 32 TCP ports (1-65535)");
    g_clear_pointer(&d->ports, g_array_unref);
    d->ports = g_steal_pointer(&ports);
  } else if (g_str_equal(member, "save")) {
    SlVmDefSave *s = sl_vm_def_save_from_json(value, error);
    if (!s)
      return FALSE;
    sl_vm_def_save_free(d->save);
    d->save = s;
  } else {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "unknown member %s", member);
    return FALSE;
  }
  return TRUE;
}

/* ---- stored form ------------------------------------------------------------ */

static json_t *
fetch_to_json(const SlVmDefFetch *f)
{
  json_t *sums = json_array();
  for (char **p = f->checksums; p && p[0] && p[1]; p += 2)
    json_array_append_new(sums, json_pack("[s, s]", p[0], p[1]));
  json_t *o = json_pack("{s:o, s:s, s:I, s:o}", "locations", strv_to_json(f->locations),
                        "compression", f->compression ? f->compression : "", "bytes",
                        (json_int_t)f->bytes, "checksums", sums);
  if (f->entry) {
    gsize len = 0;
    const char *xml = g_bytes_get_data(f->entry, &len);
    json_object_set_new(o, "entry", json_stringn(xml, len));
  }
  return o;
}

static SlVmDefFetch *
fetch_from_json(json_t *o)
{
  SlVmDefFetch *f = g_new0(SlVmDefFetch, 1);
  f->locations = strv_from_json(json_object_get(o, "locations"));
  if (!f->locations)
    f->locations = g_new0(char *, 1);
  f->compression = g_strdup(json_string_value(json_object_get(o, "compression")));
  f->bytes = (guint64)json_integer_value(json_object_get(o, "bytes"));
  json_t *sums = json_object_get(o, "checksums");
  GPtrArray *pairs = g_ptr_array_new();
  for (size_t i = 0; i < json_array_size(sums); i++) {
    const char *alg = json_string_value(json_array_get(json_array_get(sums, i), 0));
    const char *value = json_string_value(json_array_get(json_array_get(sums, i), 1));
    if (!alg || !value)
      continue;
    g_ptr_array_add(pairs, g_strdup(alg));
    g_ptr_array_add(pairs, g_strdup(value));
  }
  g_ptr_array_add(pairs, NULL);
  f->checksums = (GStrv)g_ptr_array_free(pairs, FALSE);
  json_t *entry = json_object_get(o, "entry");
  if (json_is_string(entry))
    f->entry = g_bytes_new(json_string_value(entry), json_string_length(entry));
  return f;
}

/* image_path + image_kind, or fetch, into o. */
static void
source_to_json(json_t *o, const SlVmDefImage *im)
{
  if (im->fetch)
    json_object_set_new(o, "fetch", fetch_to_json(im->fetch));
  else if (im->path) {
    json_object_set_new(o, "image_path", json_string(im->path));
    json_object_set_new(o, "image_kind", json_string(im->format ? im->format : "raw"));
  }
}

static SlVmDefImage *
source_from_json(json_t *o, const char *id)
{
  json_t *fetch = json_object_get(o, "fetch");
  const char *path = json_string_value(json_object_get(o, "image_path"));
  if (!json_is_object(fetch) && !path)
    return NULL;
  SlVmDefImage *im =
      sl_vm_def_image_new(id, path, json_string_value(json_object_get(o, "image_kind")));
  if (json_is_object(fetch))
    im->fetch = fetch_from_json(fetch);
  return im;
}

char *
sl_vm_def_format(const SlVmDef *d)
{
  json_t *o = json_object();
  json_t *ctx = json_object();
  for (char **p = d->context; p && p[0] && p[1]; p += 2)
    json_object_set_new(ctx, p[0], json_string(p[1]));
  json_object_set_new(o, "context", ctx);
  if (d->public_key)
    json_object_set_new(o, "public_key", json_string(d->public_key));
  json_object_set_new(o, "volatile_disk", json_integer(d->volatile_disk));
  json_t *ports = json_array();
  for (guint i = 0; d->ports && i < d->ports->len; i++)
    json_array_append_new(ports, json_integer(g_array_index(d->ports, guint16, i)));
  json_object_set_new(o, "ports", ports);
  json_object_set_new(o, "outbound", json_boolean(d->outbound));
  json_object_set_new(o, "network", json_string(d->network ? d->network : "public"));
  if (d->context_label)
    json_object_set_new(o, "context_label", json_string(d->context_label));
  if (d->type)
    json_object_set_new(o, "type", json_string(d->type));
  if (d->root)
    source_to_json(o, d->root);
  if (d->readonly && d->readonly->len > 0) {
    json_t *ro = json_array();
    for (guint i = 0; i < d->readonly->len; i++) {
      SlVmDefImage *im = d->readonly->pdata[i];
      json_t *one = json_pack("{s:s}", "id", im->id ? im->id : "");
      source_to_json(one, im);
      json_array_append_new(ro, one);
    }
    json_object_set_new(o, "readonly_disks", ro);
  }
  if (d->save)
    json_object_set_new(o, "save", sl_vm_def_save_to_json(d->save));
  char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(o);
  return text;
}

SlVmDef *
sl_vm_def_parse(const char *text, GError **error)
{
  g_autoptr(SlVmDef) d = sl_vm_def_new();
  if (!text || !*text)
    return g_steal_pointer(&d);
  json_error_t jerr;
  json_t *o = json_loads(text, 0, &jerr);
  if (!json_is_object(o)) {
    json_decref(o);
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "VM definition is not a JSON object: %s",
                jerr.text);
    return NULL;
  }
  d->context = pairs_from_json(json_object_get(o, "context"));
  d->public_key = g_strdup(json_string_value(json_object_get(o, "public_key")));
  d->volatile_disk = (int)json_integer_value(json_object_get(o, "volatile_disk"));
  json_t *ports = json_object_get(o, "ports");
  d->ports = g_array_new(FALSE, FALSE, sizeof(guint16));
  for (size_t i = 0; i < json_array_size(ports); i++) {
    guint16 p = (guint16)json_integer_value(json_array_get(ports, i));
    g_array_append_val(d->ports, p);
  }
  d->outbound = json_is_true(json_object_get(o, "outbound"));
  d->network = g_strdup(json_string_value(json_object_get(o, "network")));
  d->context_label = g_strdup(json_string_value(json_object_get(o, "context_label")));
  d->type = g_strdup(json_string_value(json_object_get(o, "type")));
  d->root = source_from_json(o, NULL);
  json_t *ro = json_object_get(o, "readonly_disks");
  if (json_array_size(ro) > 0) {
    d->readonly = images_new();
    for (size_t i = 0; i < json_array_size(ro); i++) {
      json_t *one = json_array_get(ro, i);
      const char *id = json_string_value(json_object_get(one, "id"));
      SlVmDefImage *im = source_from_json(one, id);
      g_ptr_array_add(d->readonly, im ? im : sl_vm_def_image_new(id, NULL, NULL));
    }
  }
  json_t *save = json_object_get(o, "save");
  if (json_is_object(save))
    d->save = sl_vm_def_save_from_json(save, NULL);
  json_decref(o);
  return g_steal_pointer(&d);
}
