/* migrations.c - every schema change of the SQLite backend, in order.
 *
 * Never edit a step once released: append a new one. Step i brings
 * PRAGMA user_version from i to i + 1; sqlite.c runs each pending step in its
 * own BEGIN IMMEDIATE transaction, so a crash leaves either version.
 */
#include "store/store-private.h"

const char *const sl_store_sqlite_migrations[] = {
    /* 0 -> 1: users, disks, mounts. Enumerations are stored by name so the
     * file stays readable with the sqlite3 shell. */
    "CREATE TABLE users ("
    "  name TEXT PRIMARY KEY NOT NULL,"
    "  hash TEXT NOT NULL,"
    "  created INTEGER NOT NULL"
    ");"
    "CREATE TABLE disks ("
    "  uuid TEXT PRIMARY KEY NOT NULL,"
    "  owner TEXT NOT NULL,"
    "  tag TEXT NOT NULL DEFAULT '',"
    "  identifier TEXT UNIQUE,"
    "  quarantine TEXT,"
    "  grp TEXT,"
    "  size INTEGER NOT NULL,"
    "  created INTEGER NOT NULL,"
    "  visibility TEXT NOT NULL DEFAULT 'private',"
    "  type TEXT NOT NULL DEFAULT 'DATA_IMAGE_RAW_READ_WRITE',"
    "  state TEXT NOT NULL DEFAULT 'CREATING',"
    "  seed INTEGER NOT NULL DEFAULT 0"
    ");"
    "CREATE INDEX disks_owner ON disks(owner);"
    "CREATE INDEX disks_created ON disks(created);"
    "CREATE TABLE mounts ("
    "  id TEXT PRIMARY KEY NOT NULL,"
    "  disk_uuid TEXT NOT NULL REFERENCES disks(uuid) ON DELETE RESTRICT,"
    "  vm_id INTEGER NOT NULL,"
    "  node TEXT NOT NULL,"
    "  target TEXT NOT NULL,"
    "  created INTEGER NOT NULL"
    ");"
    "CREATE INDEX mounts_disk ON mounts(disk_uuid);"
    "CREATE UNIQUE INDEX mounts_vm_target ON mounts(vm_id, target) WHERE target <> 'static';",
    /* 1 -> 2: virtual machines and the image cache (src/cloud, src/image/cache.c).
     * vms.ip is NULL once released; state is the display name (conf/vm.h);
     * spec is the JSON text Prolog rebuilds the VM from. */
    "CREATE TABLE vms ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  owner TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  image TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'Pending',"
    "  vcpu INTEGER NOT NULL,"
    "  ram INTEGER NOT NULL,"
    "  swap INTEGER NOT NULL DEFAULT 0,"
    "  ip TEXT UNIQUE,"
    "  created INTEGER NOT NULL,"
    "  updated INTEGER NOT NULL,"
    "  error TEXT,"
    "  spec TEXT NOT NULL DEFAULT '{}'"
    ");"
    "CREATE INDEX vms_owner ON vms(owner, state);"
    "CREATE INDEX vms_state ON vms(state);"
    "CREATE INDEX vms_image ON vms(image);"
    "CREATE TABLE images ("
    "  identifier TEXT PRIMARY KEY NOT NULL,"
    "  sha1 TEXT NOT NULL,"
    "  bytes INTEGER NOT NULL,"
    "  path TEXT NOT NULL,"
    "  kind TEXT NOT NULL DEFAULT 'raw',"
    "  created INTEGER NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'ready'"
    ");",
    /* 2 -> 3: per-user quota overrides (sqlite-quotas.c); NULL = the
     * operator's default from stratusd [quota]. */
    "CREATE TABLE quotas ("
    "  user TEXT PRIMARY KEY NOT NULL,"
    "  vms INTEGER,"
    "  cpu INTEGER,"
    "  ram INTEGER"
    ");",
    /* 3 -> 4: Marketplace entries (sqlite-market.c); the signed documents are
     * files under DATA/metadata. loc_kind: 'web' (no location, http(s), ftp),
     * 'pdisk' or 'other'. latest = 1 on the newest entry of each
     * (identifier, email). */
    "CREATE TABLE market ("
    "  identifier TEXT NOT NULL,"
    "  email TEXT NOT NULL,"
    "  created TEXT NOT NULL,"
    "  valid TEXT,"
    "  deprecated INTEGER NOT NULL DEFAULT 0,"
    "  os TEXT NOT NULL DEFAULT '',"
    "  os_version TEXT NOT NULL DEFAULT '',"
    "  os_arch TEXT NOT NULL DEFAULT '',"
    "  kind TEXT NOT NULL DEFAULT '',"
    "  location TEXT,"
    "  loc_kind TEXT NOT NULL DEFAULT 'web',"
    "  title TEXT NOT NULL DEFAULT '',"
    "  description TEXT NOT NULL DEFAULT '',"
    "  alternative TEXT,"
    "  sha1 TEXT NOT NULL DEFAULT '',"
    "  bytes INTEGER NOT NULL DEFAULT 0,"
    "  path TEXT NOT NULL,"
    "  latest INTEGER NOT NULL DEFAULT 0,"
    "  uploaded INTEGER NOT NULL,"
    "  PRIMARY KEY (identifier, email, created)"
    ") WITHOUT ROWID;"
    "CREATE INDEX market_latest ON market(latest, created);"
    "CREATE INDEX market_id_latest ON market(identifier, latest);"
    "CREATE INDEX market_email_latest ON market(email, latest);",
};

const int sl_store_sqlite_migration_count = G_N_ELEMENTS(sl_store_sqlite_migrations);

/* The PostgreSQL text of step i, derived from the SQLite text above so there
 * is one list of steps. Dialect differences, all of them:
 *   INTEGER PRIMARY KEY AUTOINCREMENT -> BIGSERIAL PRIMARY KEY
 *   INTEGER -> BIGINT (SQLite integers are 64-bit; times, sizes, ids)
 *   TEXT -> TEXT COLLATE "C" (byte order, as SQLite compares and sorts)
 *   ") WITHOUT ROWID" -> ")"
 *   the column user -> "user" (a reserved word in PostgreSQL)
 * and, for step 0, a rowid BIGSERIAL column on disks and mounts (SQLite's
 * implicit rowid: insertion order breaks ties in listings). */
char *
sl_store_postgres_migration(int step)
{
  g_return_val_if_fail(step >= 0 && step < sl_store_sqlite_migration_count, NULL);
  GString *s = g_string_new(sl_store_sqlite_migrations[step]);
  g_string_replace(s, "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY", 0);
  g_string_replace(s, "INTEGER", "BIGINT", 0);
  g_string_replace(s, " TEXT", " TEXT COLLATE \"C\"", 0);
  g_string_replace(s, ") WITHOUT ROWID", ")", 0);
  g_string_replace(s, "  user TEXT", "  \"user\" TEXT", 0);
  if (step == 0)
    g_string_append(s, ";ALTER TABLE disks ADD COLUMN rowid BIGSERIAL;"
                       "ALTER TABLE mounts ADD COLUMN rowid BIGSERIAL;");
  return g_string_free(s, FALSE);
}
