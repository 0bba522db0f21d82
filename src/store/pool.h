/* pool.h - the connection pool both store backends use (sqlite.c, postgres.c).
 *
 * Contract:
 * - At most max connections are open at once. sl_store_pool_acquire() hands
 *   out the most recently released idle connection, else opens a new one
 *   with open() while fewer than max are open, else waits for a release.
 *   Each connection is used by one thread at a time, until it is released.
 * - alive (may be NULL: always alive) is asked about an idle connection
 *   before it is handed out; a dead one is closed and replaced by one new
 *   open() (one try; its error is the caller's).
 * - A failed open() leaves the count as it was and wakes one waiter.
 * - sl_store_pool_adopt() counts a connection the backend opened itself
 *   (the first one, used for migrations) as one of the pool's; release it
 *   as usual.
 * - sl_store_pool_clear() closes the idle connections: every connection
 *   must have been released by then.
 */
#pragma once
#include <glib.h>

typedef gpointer (*SlStorePoolOpen)(gpointer user_data, GError **error);
typedef gboolean (*SlStorePoolAlive)(gpointer conn);

typedef struct {
  GMutex lock;
  GCond cond;
  GPtrArray *idle;
  guint open_count;
  guint max;
  SlStorePoolOpen open;
  SlStorePoolAlive alive;
  GDestroyNotify close;
  gpointer user_data;
} SlStorePool;

void sl_store_pool_init(SlStorePool *p, guint max, SlStorePoolOpen open, SlStorePoolAlive alive,
                        GDestroyNotify close, gpointer user_data);
void sl_store_pool_clear(SlStorePool *p);
gpointer sl_store_pool_acquire(SlStorePool *p, GError **error);
void sl_store_pool_release(SlStorePool *p, gpointer conn);
void sl_store_pool_adopt(SlStorePool *p);
