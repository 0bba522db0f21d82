/* pool.c - the store backends' connection pool (contract in pool.h). */
#include "store/pool.h"

void
sl_store_pool_init(SlStorePool *p, guint max, SlStorePoolOpen open, SlStorePoolAlive alive,
                   GDestroyNotify close, gpointer user_data)
{
  g_mutex_init(&p->lock);
  g_cond_init(&p->cond);
  p->idle = g_ptr_array_new_with_free_func(close);
  p->open_count = 0;
  p->max = max;
  p->open = open;
  p->alive = alive;
  p->close = close;
  p->user_data = user_data;
}

void
sl_store_pool_clear(SlStorePool *p)
{
  if (!p->idle)
    return;
  g_ptr_array_unref(p->idle);
  p->idle = NULL;
  g_mutex_clear(&p->lock);
  g_cond_clear(&p->cond);
}

/* Opens a connection for a slot already counted; gives the slot back when
 * the open fails. */
static gpointer
open_counted(SlStorePool *p, GError **error)
{
  gpointer c = p->open(p->user_data, error);
  if (!c) {
    g_mutex_lock(&p->lock);
    p->open_count--;
    g_cond_signal(&p->cond);
    g_mutex_unlock(&p->lock);
  }
  return c;
}

gpointer
sl_store_pool_acquire(SlStorePool *p, GError **error)
{
  g_mutex_lock(&p->lock);
  for (;;) {
    if (p->idle->len > 0) {
      gpointer c = g_ptr_array_steal_index(p->idle, p->idle->len - 1);
      g_mutex_unlock(&p->lock);
      if (!p->alive || p->alive(c))
        return c;
      /* the server went away under it: one try to open a new one */
      p->close(c);
      return open_counted(p, error);
    }
    if (p->open_count < p->max) {
      p->open_count++;
      g_mutex_unlock(&p->lock);
      return open_counted(p, error);
    }
    g_cond_wait(&p->cond, &p->lock);
  }
}

void
sl_store_pool_release(SlStorePool *p, gpointer conn)
{
  if (!conn)
    return;
  g_mutex_lock(&p->lock);
  g_ptr_array_add(p->idle, conn);
  g_cond_signal(&p->cond);
  g_mutex_unlock(&p->lock);
}

void
sl_store_pool_adopt(SlStorePool *p)
{
  g_mutex_lock(&p->lock);
  p->open_count++;
  g_mutex_unlock(&p->lock);
}
