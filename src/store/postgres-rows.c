/* postgres-rows.c - disks, mounts, vms, images, quotas and Marketplace rows
 * of the PostgreSQL backend; the SQL mirrors sqlite-*.c statement by
 * statement (same columns, same orders, same error messages). */
#include <string.h>

#include "store/postgres-private.h"
#include "util/error.h"

/* ---- disks ------------------------------------------------------------ */

#define DISK_COLS                                                                                  \
  "d.uuid, d.owner, d.tag, d.identifier, d.quarantine, d.grp, d.size, d.created, d.visibility,"    \
  " d.type, d.state, d.seed, (SELECT COUNT(*) FROM mounts m WHERE m.disk_uuid = d.uuid)"

static gpointer
disk_from_row(const PGresult *r, int i)
{
  SlDisk *d = sl_disk_new();
  d->uuid = pg_text(r, i, 0);
  d->owner = pg_text(r, i, 1);
  g_free(d->tag);
  d->tag = pg_text(r, i, 2);
  if (!d->tag)
    d->tag = g_strdup("");
  d->identifier = pg_text(r, i, 3);
  d->quarantine = pg_text(r, i, 4);
  d->group = pg_text(r, i, 5);
  d->size = pg_int(r, i, 6);
  d->created = pg_int(r, i, 7);
  const char *v = PQgetvalue(r, i, 8);
  if (!sl_visibility_from_string(v, &d->visibility))
    g_warning("store: disk %s has unknown visibility '%s'", d->uuid, v);
  const char *t = PQgetvalue(r, i, 9);
  if (!sl_disk_type_from_string(t, &d->type))
    g_warning("store: disk %s has unknown type '%s'", d->uuid, t);
  const char *state = PQgetvalue(r, i, 10);
  if (!sl_disk_state_from_string(state, &d->state))
    g_warning("store: disk %s has unknown state '%s'", d->uuid, state);
  d->seed = pg_int(r, i, 11) != 0;
  d->users = (int)pg_int(r, i, 12);
  return d;
}

/* The 12 written columns, uuid last ($12). */
static void
bind_disk(PgParams *p, const SlDisk *d)
{
  pg_p_text(p, d->owner);
  pg_p_text(p, d->tag ? d->tag : "");
  pg_p_text(p, d->identifier);
  pg_p_text(p, d->quarantine);
  pg_p_text(p, d->group);
  pg_p_int(p, d->size);
  pg_p_int(p, d->created);
  pg_p_text(p, sl_visibility_to_string(d->visibility));
  pg_p_text(p, sl_disk_type_to_string(d->type));
  pg_p_text(p, sl_disk_state_to_string(d->state));
  pg_p_int(p, d->seed ? 1 : 0);
  pg_p_text(p, d->uuid);
}

static void
disk_conflict_message(GError **err, const SlDisk *d)
{
  if (!g_error_matches(*err, SL_ERROR, SL_ERROR_CONFLICT))
    return;
  gboolean ident = strstr((*err)->message, "identifier") != NULL;
  g_clear_error(err);
  if (ident)
    g_set_error(err, SL_ERROR, SL_ERROR_CONFLICT, "Disk already registered");
  else
    g_set_error(err, SL_ERROR, SL_ERROR_CONFLICT, "disk (%s) already exists", d->uuid);
}

gboolean
pgs_disk_insert(SlStore *store, const SlDisk *disk, GError **error)
{
  PgStore *s = PGS(store);
  PGconn *c = pg_write_begin(s, error);
  if (!c)
    return FALSE;
  GError *err = NULL;
  PgParams p = {0};
  bind_disk(&p, disk);
  gboolean ok = pg_change(c,
                          "INSERT INTO disks(owner, tag, identifier, quarantine, grp, size,"
                          " created, visibility, type, state, seed, uuid)"
                          " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                          &p, NULL, "insert disk", &err);
  if (err) {
    disk_conflict_message(&err, disk);
    g_propagate_error(error, err);
  }
  return pg_write_end(s, c, ok, error);
}

SlDisk *
pgs_disk_get(SlStore *store, const char *uuid, GError **error)
{
  PgParams p = {0};
  pg_p_text(&p, uuid);
  g_autofree char *nf = g_strdup_printf("disk (%s) does not exist", uuid);
  return pg_query_one(PGS(store), "SELECT " DISK_COLS " FROM disks d WHERE d.uuid = $1", &p,
                      disk_from_row, "get disk", nf, error);
}

GPtrArray *
pgs_disk_list_visible(SlStore *store, const char *owner, GError **error)
{
  if (!owner)
    return pg_query_rows(PGS(store),
                         "SELECT " DISK_COLS " FROM disks d WHERE d.state = 'READY'"
                         " ORDER BY d.created DESC, d.rowid DESC",
                         NULL, disk_from_row, (GDestroyNotify)sl_disk_free, error);
  PgParams p = {0};
  pg_p_text(&p, owner);
  return pg_query_rows(PGS(store),
                       "SELECT " DISK_COLS " FROM disks d WHERE d.state = 'READY'"
                       " AND (d.owner = $1 OR d.visibility = 'public')"
                       " ORDER BY d.created DESC, d.rowid DESC",
                       &p, disk_from_row, (GDestroyNotify)sl_disk_free, error);
}

GPtrArray *
pgs_disk_list_all(SlStore *store, GError **error)
{
  return pg_query_rows(PGS(store),
                       "SELECT " DISK_COLS " FROM disks d ORDER BY d.created DESC, d.rowid DESC",
                       NULL, disk_from_row, (GDestroyNotify)sl_disk_free, error);
}

static gboolean
disk_change(SlStore *store, const char *sql, const SlDisk *disk, const char *uuid,
            const char *state, GError **error)
{
  PgStore *s = PGS(store);
  PGconn *c = pg_write_begin(s, error);
  if (!c)
    return FALSE;
  GError *err = NULL;
  int changes = 0;
  PgParams p = {0};
  if (disk) {
    bind_disk(&p, disk);
  } else if (state) {
    pg_p_text(&p, state);
    pg_p_text(&p, uuid);
  } else {
    pg_p_text(&p, uuid);
  }
  gboolean ok = pg_change(c, sql, &p, &changes, "change disk", &err);
  if (ok && changes == 0) {
    g_set_error(&err, SL_ERROR, SL_ERROR_NOT_FOUND, "disk (%s) does not exist", uuid);
    ok = FALSE;
  }
  if (err && g_error_matches(err, SL_ERROR, SL_ERROR_CONFLICT) && !disk) {
    g_clear_error(&err);
    g_set_error(&err, SL_ERROR, SL_ERROR_CONFLICT, "disk (%s) is in use and can't be deleted",
                uuid);
  } else if (err && disk) {
    disk_conflict_message(&err, disk);
  }
  if (err)
    g_propagate_error(error, err);
  return pg_write_end(s, c, ok, error);
}

gboolean
pgs_disk_update(SlStore *store, const SlDisk *disk, GError **error)
{
  return disk_change(store,
                     "UPDATE disks SET owner = $1, tag = $2, identifier = $3, quarantine = $4,"
                     " grp = $5, size = $6, created = $7, visibility = $8, type = $9,"
                     " state = $10, seed = $11 WHERE uuid = $12",
                     disk, disk->uuid, NULL, error);
}

gboolean
pgs_disk_set_state(SlStore *store, const char *uuid, SlDiskState state, GError **error)
{
  return disk_change(store, "UPDATE disks SET state = $1 WHERE uuid = $2", NULL, uuid,
                     sl_disk_state_to_string(state), error);
}

gboolean
pgs_disk_delete(SlStore *store, const char *uuid, GError **error)
{
  return disk_change(store, "DELETE FROM disks WHERE uuid = $1", NULL, uuid, NULL, error);
}

/* ---- mounts ----------------------------------------------------------- */

#define MOUNT_COLS "id, disk_uuid, vm_id, node, target, created"

static gpointer
mount_from_row(const PGresult *r, int i)
{
  SlMount *m = sl_mount_new();
  m->id = pg_text(r, i, 0);
  m->disk_uuid = pg_text(r, i, 1);
  m->vm_id = pg_int(r, i, 2);
  m->node = pg_text(r, i, 3);
  m->target = pg_text(r, i, 4);
  m->created = pg_int(r, i, 5);
  return m;
}

/* One mount row on an open write transaction. */
static gboolean
insert_mount(PGconn *c, const SlMount *mount, GError **error)
{
  GError *err = NULL;
  PgParams p = {0};
  pg_p_text(&p, mount->id);
  pg_p_text(&p, mount->disk_uuid);
  pg_p_int(&p, mount->vm_id);
  pg_p_text(&p, mount->node ? mount->node : "");
  pg_p_text(&p, mount->target ? mount->target : "");
  pg_p_int(&p, mount->created);
  gboolean ok = pg_change(c, "INSERT INTO mounts(" MOUNT_COLS ") VALUES($1, $2, $3, $4, $5, $6)",
                          &p, NULL, "insert mount", &err);
  if (err && g_error_matches(err, SL_ERROR, SL_ERROR_CONFLICT)) {
    gboolean fk = strstr(err->message, "foreign key") != NULL;
    gboolean target = !fk && strstr(err->message, "target") != NULL;
    g_clear_error(&err);
    if (fk)
      g_set_error(&err, SL_ERROR, SL_ERROR_NOT_FOUND, "disk (%s) does not exist", mount->disk_uuid);
    else if (target)
      g_set_error(&err, SL_ERROR, SL_ERROR_CONFLICT,
                  "device %s is already used by VM %" G_GINT64_FORMAT, mount->target, mount->vm_id);
    else
      g_set_error(&err, SL_ERROR, SL_ERROR_CONFLICT,
                  "Mount already exists for: %" G_GINT64_FORMAT " and %s", mount->vm_id,
                  mount->disk_uuid);
  }
  if (err)
    g_propagate_error(error, err);
  return ok;
}

/* Mounts matching one parameter, on c (inside its transaction). */
static GPtrArray *
mounts_on(PGconn *c, const char *sql, PgParams *p, GError **error)
{
  PGresult *r = pg_exec(c, sql, p, "list mounts", error);
  if (!r)
    return NULL;
  GPtrArray *rows = g_ptr_array_new_with_free_func((GDestroyNotify)sl_mount_free);
  for (int i = 0; i < PQntuples(r); i++)
    g_ptr_array_add(rows, mount_from_row(r, i));
  PQclear(r);
  return rows;
}

/* The mount check of one template on an open write transaction. */
static gboolean
mount_check(PGconn *c, SlMount *mount, gboolean of_vm, SlStoreMountCheckFunc check, gpointer data,
            GError **error)
{
  PgParams p = {0};
  pg_p_text(&p, mount->disk_uuid ? mount->disk_uuid : "");
  g_autoptr(GPtrArray) disk_mounts =
      mounts_on(c, "SELECT " MOUNT_COLS " FROM mounts WHERE disk_uuid = $1 ORDER BY created, rowid",
                &p, error);
  if (!disk_mounts)
    return FALSE;
  g_autoptr(GPtrArray) vm_mounts = NULL;
  if (of_vm) { /* a new VM (vm_insert) has none */
    pg_p_int(&p, mount->vm_id);
    vm_mounts = mounts_on(
        c, "SELECT " MOUNT_COLS " FROM mounts WHERE vm_id = $1 ORDER BY created, rowid", &p, error);
  } else {
    vm_mounts = g_ptr_array_new_with_free_func((GDestroyNotify)sl_mount_free);
  }
  return vm_mounts && check(mount, disk_mounts, vm_mounts, data, error);
}

gboolean
pgs_mount_insert(SlStore *store, SlMount *mount, SlStoreMountCheckFunc check, gpointer check_data,
                 GError **error)
{
  PgStore *s = PGS(store);
  PGconn *c = pg_write_begin(s, error);
  if (!c)
    return FALSE;
  gboolean ok = (!check || mount_check(c, mount, TRUE, check, check_data, error)) &&
                insert_mount(c, mount, error);
  return pg_write_end(s, c, ok, error);
}

SlMount *
pgs_mount_get(SlStore *store, const char *id, GError **error)
{
  PgParams p = {0};
  pg_p_text(&p, id);
  g_autofree char *nf = g_strdup_printf("mount %s does not exist", id);
  return pg_query_one(PGS(store), "SELECT " MOUNT_COLS " FROM mounts WHERE id = $1", &p,
                      mount_from_row, "get mount", nf, error);
}

GPtrArray *
pgs_mount_list_for_disk(SlStore *store, const char *disk_uuid, GError **error)
{
  PgParams p = {0};
  pg_p_text(&p, disk_uuid);
  return pg_query_rows(
      PGS(store), "SELECT " MOUNT_COLS " FROM mounts WHERE disk_uuid = $1 ORDER BY created, rowid",
      &p, mount_from_row, (GDestroyNotify)sl_mount_free, error);
}

GPtrArray *
pgs_mount_list_for_vm(SlStore *store, gint64 vm_id, GError **error)
{
  PgParams p = {0};
  pg_p_int(&p, vm_id);
  return pg_query_rows(PGS(store),
                       "SELECT " MOUNT_COLS " FROM mounts WHERE vm_id = $1 ORDER BY created, rowid",
                       &p, mount_from_row, (GDestroyNotify)sl_mount_free, error);
}

gboolean
pgs_mount_delete(SlStore *store, const char *id, GError **error)
{
  PgStore *s = PGS(store);
  PGconn *c = pg_write_begin(s, error);
  if (!c)
    return FALSE;
  int changes = 0;
  PgParams p = {0};
  pg_p_text(&p, id);
  gboolean ok =
      pg_change(c, "DELETE FROM mounts WHERE id = $1", &p, &changes, "delete mount", error);
  if (ok && changes == 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "mount %s does not exist", id);
    ok = FALSE;
  }
  return pg_write_end(s, c, ok, error);
}

/* ---- usage and quotas ------------------------------------------------- */

static gboolean
vm_usage(PGconn *c, const char *owner, SlVmUsage *u, GError **error)
{
  *u = (SlVmUsage){0};
  PgParams p = {0};
  PGresult *r;
  if (owner) {
    pg_p_text(&p, owner);
    r = pg_exec(c,
                "SELECT COUNT(*), COALESCE(SUM(vcpu), 0), COALESCE(SUM(ram), 0)"
                " FROM vms WHERE owner = $1 AND state NOT IN ('Done', 'Failed')",
                &p, "vm usage", error);
  } else {
    r = pg_exec(c,
                "SELECT COUNT(*), COALESCE(SUM(vcpu), 0), COALESCE(SUM(ram), 0)"
                " FROM vms WHERE state NOT IN ('Done', 'Failed')",
                NULL, "vm usage", error);
  }
  if (!r)
    return FALSE;
  u->vms = pg_int(r, 0, 0);
  u->cpu = pg_int(r, 0, 1);
  u->ram = pg_int(r, 0, 2);
  PQclear(r);
  return TRUE;
}

static gboolean
quota_read(PGconn *c, const char *user, SlQuota *q, GError **error)
{
  *q = (SlQuota){-1, -1, -1};
  if (!user)
    return TRUE;
  PgParams p = {0};
  pg_p_text(&p, user);
  PGresult *r =
      pg_exec(c, "SELECT vms, cpu, ram FROM quotas WHERE \"user\" = $1", &p, "read quota", error);
  if (!r)
    return FALSE;
  if (PQntuples(r) > 0) {
    q->vms = pg_null(r, 0, 0) ? -1 : pg_int(r, 0, 0);
    q->cpu = pg_null(r, 0, 1) ? -1 : pg_int(r, 0, 1);
    q->ram = pg_null(r, 0, 2) ? -1 : pg_int(r, 0, 2);
  }
  PQclear(r);
  return TRUE;
}

gboolean
pgs_vm_usage(SlStore *store, const char *owner, SlVmUsage *usage, GError **error)
{
  PgStore *s = PGS(store);
  PGconn *c = pg_conn_acquire(s, error);
  if (!c)
    return FALSE;
  gboolean ok = vm_usage(c, owner, usage, error);
  pg_conn_release(s, c);
  return ok;
}

gboolean
pgs_quota_get(SlStore *store, const char *user, SlQuota *quota, GError **error)
{
  PgStore *s = PGS(store);
  PGconn *c = pg_conn_acquire(s, error);
  if (!c)
    return FALSE;
  gboolean ok = quota_read(c, user, quota, error);
  pg_conn_release(s, c);
  return ok;
}

static void
p_int_or_null(PgParams *p, gint64 v)
{
  if (v < 0)
    pg_p_text(p, NULL);
  else
    pg_p_int(p, v);
}

gboolean
pgs_quota_set(SlStore *store, const char *user, const SlQuota *q, GError **error)
{
  PgStore *s = PGS(store);
  PGconn *c = pg_write_begin(s, error);
  if (!c)
    return FALSE;
  gboolean unset = q->vms < 0 && q->cpu < 0 && q->ram < 0;
  PgParams p = {0};
  pg_p_text(&p, user);
  gboolean ok;
  if (unset) {
    ok = pg_change(c, "DELETE FROM quotas WHERE \"user\" = $1", &p, NULL, "set quota", error);
  } else {
    p_int_or_null(&p, q->vms);
    p_int_or_null(&p, q->cpu);
    p_int_or_null(&p, q->ram);
    ok = pg_change(c,
                   "INSERT INTO quotas(\"user\", vms, cpu, ram) VALUES($1, $2, $3, $4)"
                   " ON CONFLICT (\"user\") DO UPDATE SET vms = EXCLUDED.vms,"
                   " cpu = EXCLUDED.cpu, ram = EXCLUDED.ram",
                   &p, NULL, "set quota", error);
  }
  return pg_write_end(s, c, ok, error);
}

/* ---- vms -------------------------------------------------------------- */

#define VM_COLS "id, owner, name, image, state, vcpu, ram, swap, ip, created, updated, error, spec"

static gpointer
vm_from_row(const PGresult *r, int i)
{
  SlVm *v = sl_vm_new();
  v->id = pg_int(r, i, 0);
  v->owner = pg_text(r, i, 1);
  v->name = pg_text(r, i, 2);
  v->image = pg_text(r, i, 3);
  const char *state = PQgetvalue(r, i, 4);
  if (!sl_vm_state_from_string(state, &v->state)) {
    g_warning("store: vm %" G_GINT64_FORMAT " has unknown state '%s'", v->id, state);
    v->state = SL_VM_UNKNOWN;
  }
  v->vcpu = (int)pg_int(r, i, 5);
  v->ram = (int)pg_int(r, i, 6);
  v->swap = (int)pg_int(r, i, 7);
  v->ip = pg_text(r, i, 8);
  v->created = pg_int(r, i, 9);
  v->updated = pg_int(r, i, 10);
  v->error = pg_text(r, i, 11);
  g_autoptr(GError) error = NULL;
  v->def = sl_vm_def_parse(PQgetvalue(r, i, 12), &error);
  if (!v->def) {
    g_warning("store: vm %" G_GINT64_FORMAT ": %s", v->id, error->message);
    v->def = sl_vm_def_new();
  }
  return v;
}

static GHashTable *
used_addresses(PGconn *c, GError **error)
{
  PGresult *r =
      pg_exec(c, "SELECT ip FROM vms WHERE ip IS NOT NULL", NULL, "list addresses", error);
  if (!r)
    return NULL;
  GHashTable *used = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (int i = 0; i < PQntuples(r); i++)
    g_hash_table_add(used, pg_text(r, i, 0));
  PQclear(r);
  return used;
}

static gboolean
image_ready(PGconn *c, const char *identifier, const char *spec, GError **error)
{
  PgParams p = {0};
  pg_p_text(&p, identifier);
  pg_p_text(&p, spec);
  PGresult *r = pg_exec(c,
                        "SELECT 1 WHERE EXISTS (SELECT 1 FROM images WHERE identifier = $1"
                        " AND state = 'ready')"
                        " OR jsonb_typeof(CAST($2 AS jsonb) -> 'fetch') = 'object'",
                        &p, "check image", error);
  if (!r)
    return FALSE;
  gboolean ok = PQntuples(r) > 0;
  PQclear(r);
  if (!ok)
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "image %s is not in the image cache",
                identifier ? identifier : "(none)");
  return ok;
}

static gboolean
insert_one(PGconn *c, SlVm *v, GHashTable *used, SlStoreIpPickFunc pick, gpointer data,
           GError **error)
{
  g_autofree char *spec = v->def ? sl_vm_def_format(v->def) : g_strdup("{}");
  if (!image_ready(c, v->image, spec, error))
    return FALSE;
  if (pick) {
    g_free(v->ip);
    v->ip = pick(used, data);
    if (!v->ip) {
      g_set_error_literal(error, SL_ERROR, SL_ERROR_CONFLICT, "no free address in the pool");
      return FALSE;
    }
    g_hash_table_add(used, g_strdup(v->ip));
  }
  v->created = v->updated = g_get_real_time() / G_USEC_PER_SEC;
  PgParams p = {0};
  pg_p_text(&p, v->owner);
  pg_p_text(&p, v->name && v->name[0] ? v->name : "");
  pg_p_text(&p, v->image);
  pg_p_text(&p, sl_vm_state_to_string(v->state));
  pg_p_int(&p, v->vcpu);
  pg_p_int(&p, v->ram);
  pg_p_int(&p, v->swap);
  pg_p_text(&p, v->ip);
  pg_p_int(&p, v->created);
  pg_p_int(&p, v->updated);
  pg_p_text(&p, v->error);
  pg_p_text(&p, spec);
  /* name "" becomes one-<id> in the same statement */
  PGresult *r = pg_exec(c,
                        "INSERT INTO vms(owner, name, image, state, vcpu, ram, swap, ip,"
                        " created, updated, error, spec)"
                        " VALUES($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
                        " RETURNING id",
                        &p, "insert vm", error);
  if (!r)
    return FALSE;
  v->id = pg_int(r, 0, 0);
  PQclear(r);
  if (v->name && v->name[0])
    return TRUE;
  g_free(v->name);
  v->name = g_strdup_printf("one-%" G_GINT64_FORMAT, v->id);
  pg_p_text(&p, v->name);
  pg_p_int(&p, v->id);
  return pg_change(c, "UPDATE vms SET name = $1 WHERE id = $2", &p, NULL, "name vm", error);
}

static gboolean
check_limits(PGconn *c, GPtrArray *vms, SlStoreVmCheckFunc check, gpointer data, GError **error)
{
  const char *owner = vms->len ? ((SlVm *)vms->pdata[0])->owner : NULL;
  SlVmUsage mine, all;
  SlQuota quota;
  return vm_usage(c, owner, &mine, error) && vm_usage(c, NULL, &all, error) &&
         quota_read(c, owner, &quota, error) && check(&mine, &all, &quota, vms, data, error);
}

static gboolean
insert_mounts(PGconn *c, gint64 id, GPtrArray *mounts, gboolean write_back, GError **error)
{
  for (guint i = 0; i < mounts->len; i++) {
    SlMount *t = mounts->pdata[i];
    g_autoptr(SlMount) m = sl_mount_copy(t);
    g_free(m->id);
    m->id = g_strdup_printf("%s_%" G_GINT64_FORMAT, t->disk_uuid, id);
    m->vm_id = id;
    m->created = g_get_real_time() / G_USEC_PER_SEC;
    if (!insert_mount(c, m, error))
      return FALSE;
    if (write_back) {
      g_free(t->id);
      t->id = g_strdup(m->id);
      t->vm_id = id;
      t->created = m->created;
    }
  }
  return TRUE;
}

gboolean
pgs_vm_insert(SlStore *store, GPtrArray *vms, GPtrArray *mounts, SlStoreMountCheckFunc mcheck,
              gpointer mcheck_data, SlStoreVmCheckFunc check, gpointer check_data,
              SlStoreIpPickFunc pick, gpointer data, GError **error)
{
  PgStore *s = PGS(store);
  PGconn *c = pg_write_begin(s, error);
  if (!c)
    return FALSE;
  gboolean ok = TRUE;
  for (guint i = 0; ok && mcheck && mounts && i < mounts->len; i++)
    ok = mount_check(c, mounts->pdata[i], FALSE, mcheck, mcheck_data, error);
  ok = ok && (!check || check_limits(c, vms, check, check_data, error));
  g_autoptr(GHashTable) used = ok && pick ? used_addresses(c, error) : NULL;
  ok = ok && (!pick || used);
  for (guint i = 0; ok && i < vms->len; i++)
    ok = insert_one(c, vms->pdata[i], used, pick, data, error);
  for (guint i = 0; ok && mounts && i < vms->len; i++)
    ok = insert_mounts(c, ((SlVm *)vms->pdata[i])->id, mounts, vms->len == 1, error);
  ok = pg_write_end(s, c, ok, error);
  if (!ok) /* nothing was allocated: do not hand back ids or addresses */
    for (guint i = 0; i < vms->len; i++) {
      SlVm *v = vms->pdata[i];
      v->id = 0;
      if (pick)
        g_clear_pointer(&v->ip, g_free);
    }
  return ok;
}

SlVm *
pgs_vm_get(SlStore *store, gint64 id, GError **error)
{
  PgParams p = {0};
  pg_p_int(&p, id);
  g_autofree char *nf = g_strdup_printf("VM %" G_GINT64_FORMAT " does not exist", id);
  return pg_query_one(PGS(store), "SELECT " VM_COLS " FROM vms WHERE id = $1", &p, vm_from_row,
                      "get vm", nf, error);
}

GPtrArray *
pgs_vm_list(SlStore *store, const char *owner, gboolean include_final, GError **error)
{
  GDestroyNotify fr = (GDestroyNotify)sl_vm_free;
  PgStore *s = PGS(store);
  PgParams p = {0};
  if (owner)
    pg_p_text(&p, owner);
  if (owner && include_final)
    return pg_query_rows(s, "SELECT " VM_COLS " FROM vms WHERE owner = $1 ORDER BY id", &p,
                         vm_from_row, fr, error);
  if (owner)
    return pg_query_rows(s,
                         "SELECT " VM_COLS " FROM vms WHERE owner = $1"
                         " AND state NOT IN ('Done', 'Failed') ORDER BY id",
                         &p, vm_from_row, fr, error);
  if (include_final)
    return pg_query_rows(s, "SELECT " VM_COLS " FROM vms ORDER BY id", NULL, vm_from_row, fr,
                         error);
  return pg_query_rows(s,
                       "SELECT " VM_COLS " FROM vms WHERE state NOT IN ('Done', 'Failed')"
                       " ORDER BY id",
                       NULL, vm_from_row, fr, error);
}

static gboolean
vm_change(SlStore *store, const char *sql, PgParams *p, gint64 id, GError **error)
{
  PgStore *s = PGS(store);
  PGconn *c = pg_write_begin(s, error);
  if (!c) {
    pg_p_clear(p);
    return FALSE;
  }
  int changes = 0;
  gboolean ok = pg_change(c, sql, p, &changes, "change vm", error);
  if (ok && changes == 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "VM %" G_GINT64_FORMAT " does not exist", id);
    ok = FALSE;
  }
  return pg_write_end(s, c, ok, error);
}

gboolean
pgs_vm_set_state(SlStore *store, gint64 id, SlVmState state, const char *error_text, GError **error)
{
  PgParams p = {0};
  pg_p_text(&p, sl_vm_state_to_string(state));
  pg_p_text(&p, error_text);
  pg_p_int(&p, g_get_real_time() / G_USEC_PER_SEC);
  pg_p_int(&p, id);
  return vm_change(store,
                   "UPDATE vms SET state = $1, error = COALESCE($2, error), updated = $3"
                   " WHERE id = $4",
                   &p, id, error);
}

gboolean
pgs_vm_release_ip(SlStore *store, gint64 id, GError **error)
{
  PgParams p = {0};
  pg_p_int(&p, id);
  return vm_change(store, "UPDATE vms SET ip = NULL WHERE id = $1", &p, id, error);
}

/* ---- images ----------------------------------------------------------- */

#define IMAGE_COLS "identifier, sha1, bytes, path, kind, created, state"

static gpointer
image_from_row(const PGresult *r, int i)
{
  SlImage *im = sl_image_new();
  im->identifier = pg_text(r, i, 0);
  im->sha1 = pg_text(r, i, 1);
  im->bytes = pg_int(r, i, 2);
  im->path = pg_text(r, i, 3);
  im->kind = pg_text(r, i, 4);
  im->created = pg_int(r, i, 5);
  im->state = pg_text(r, i, 6);
  return im;
}

gboolean
pgs_image_insert(SlStore *store, const SlImage *im, GError **error)
{
  PgStore *s = PGS(store);
  PGconn *c = pg_write_begin(s, error);
  if (!c)
    return FALSE;
  GError *err = NULL;
  PgParams p = {0};
  pg_p_text(&p, im->identifier);
  pg_p_text(&p, im->sha1);
  pg_p_int(&p, im->bytes);
  pg_p_text(&p, im->path);
  pg_p_text(&p, im->kind ? im->kind : "raw");
  pg_p_int(&p, im->created);
  pg_p_text(&p, im->state ? im->state : "ready");
  gboolean ok = pg_change(c,
                          "INSERT INTO images(identifier, sha1, bytes, path, kind, created,"
                          " state) VALUES($1, $2, $3, $4, $5, $6, $7)",
                          &p, NULL, "insert image", &err);
  if (err && g_error_matches(err, SL_ERROR, SL_ERROR_CONFLICT)) {
    g_clear_error(&err);
    g_set_error(&err, SL_ERROR, SL_ERROR_CONFLICT, "image %s already exists", im->identifier);
  }
  if (err)
    g_propagate_error(error, err);
  return pg_write_end(s, c, ok, error);
}

SlImage *
pgs_image_get(SlStore *store, const char *identifier, GError **error)
{
  PgParams p = {0};
  pg_p_text(&p, identifier);
  g_autofree char *nf = g_strdup_printf("image %s is not in the image cache", identifier);
  return pg_query_one(PGS(store), "SELECT " IMAGE_COLS " FROM images WHERE identifier = $1", &p,
                      image_from_row, "get image", nf, error);
}

GPtrArray *
pgs_image_list(SlStore *store, GError **error)
{
  return pg_query_rows(PGS(store), "SELECT " IMAGE_COLS " FROM images ORDER BY identifier", NULL,
                       image_from_row, (GDestroyNotify)sl_image_free, error);
}

gboolean
pgs_image_delete(SlStore *store, const char *identifier, GError **error)
{
  PgStore *s = PGS(store);
  PGconn *c = pg_write_begin(s, error);
  if (!c)
    return FALSE;
  PgParams p = {0};
  pg_p_text(&p, identifier);
  PGresult *r = pg_exec(c,
                        "SELECT id FROM vms WHERE image = $1"
                        " AND state NOT IN ('Done', 'Failed') ORDER BY id LIMIT 1",
                        &p, "check image use", error);
  gboolean ok = r != NULL;
  if (r && PQntuples(r) > 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT, "image %s is used by VM %" G_GINT64_FORMAT,
                identifier, pg_int(r, 0, 0));
    ok = FALSE;
  }
  PQclear(r);
  int changes = 0;
  if (ok) {
    pg_p_text(&p, identifier);
    ok = pg_change(c, "DELETE FROM images WHERE identifier = $1", &p, &changes, "delete image",
                   error);
    if (ok && changes == 0) {
      g_set_error(error, SL_ERROR, SL_ERROR_NOT_FOUND, "image %s is not in the image cache",
                  identifier);
      ok = FALSE;
    }
  }
  return pg_write_end(s, c, ok, error);
}
