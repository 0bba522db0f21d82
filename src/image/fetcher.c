/* fetcher.c - the per-identifier in-flight table of image downloads (fetch.h).
 *
 * One Flight per identifier being downloaded, owned by its thread. Waiters
 * (callback, data, main context) join the flight; when the download ends the
 * flight leaves the table (under the lock) and every waiter gets its own
 * notification in its main context. */
#include "image/fetch.h"

#include "util/error.h"

struct SlFetcher {
  SlImageCache *cache;
  GMutex lock;
  GCond idle;          /* signalled when the table empties */
  GHashTable *flights; /* identifier -> Flight* */
  guint started;
  gboolean closing;
  GCancellable *cancel; /* cancels every download at free */
};

typedef struct {
  SlFetchDoneFunc done;
  gpointer data;
  GMainContext *ctx;
} Waiter;

typedef struct {
  SlFetcher *f;
  char *id;
  SlFetchRequest req; /* deep copy */
  char *url, *compression, *ca_file;
  GStrv alternatives, checksums;
  GArray *waiters;     /* Waiter */
  guint64 done, total; /* under f->lock */
} Flight;

typedef struct {
  Waiter w;
  SlImage *image;
  GError *error;
} Notice;

static void
flight_free(Flight *fl)
{
  g_free(fl->id);
  g_free(fl->url);
  g_free(fl->compression);
  g_free(fl->ca_file);
  g_strfreev(fl->alternatives);
  g_strfreev(fl->checksums);
  for (guint i = 0; i < fl->waiters->len; i++) {
    GMainContext *ctx = g_array_index(fl->waiters, Waiter, i).ctx;
    if (ctx)
      g_main_context_unref(ctx);
  }
  g_array_unref(fl->waiters);
  g_free(fl);
}

static void
notice_free(Notice *n)
{
  if (n->w.ctx)
    g_main_context_unref(n->w.ctx);
  sl_image_free(n->image);
  g_clear_error(&n->error);
  g_free(n);
}

static SlImage *
image_copy(const SlImage *im)
{
  SlImage *c = sl_image_new();
  c->identifier = g_strdup(im->identifier);
  c->sha1 = g_strdup(im->sha1);
  c->bytes = im->bytes;
  c->path = g_strdup(im->path);
  c->kind = g_strdup(im->kind);
  c->created = im->created;
  c->state = g_strdup(im->state);
  return c;
}

static gboolean
notify(gpointer data)
{
  Notice *n = data;
  n->w.done(n->image, n->error, n->w.data);
  return G_SOURCE_REMOVE;
}

static void
on_progress(guint64 done, guint64 total, gpointer data)
{
  Flight *fl = data;
  g_mutex_lock(&fl->f->lock);
  fl->done = done;
  fl->total = total;
  g_mutex_unlock(&fl->f->lock);
}

static gpointer
run(gpointer data)
{
  Flight *fl = data;
  SlFetcher *f = fl->f;
  g_autoptr(GError) error = NULL;
  g_autoptr(SlImage) image = sl_fetch_image(f->cache, &fl->req, &error);
  if (image)
    g_message("image %s: downloaded and verified (%" G_GINT64_FORMAT " bytes)", fl->id,
              image->bytes);
  else
    g_warning("image %s: download failed: %s", fl->id, error->message);
  g_mutex_lock(&f->lock);
  g_hash_table_remove(f->flights, fl->id);
  for (guint i = 0; !f->closing && i < fl->waiters->len; i++) {
    Notice *n = g_new0(Notice, 1);
    n->w = g_array_index(fl->waiters, Waiter, i);
    n->w.ctx = n->w.ctx ? g_main_context_ref(n->w.ctx) : NULL;
    n->image = image ? image_copy(image) : NULL;
    n->error = error ? g_error_copy(error) : NULL;
    g_main_context_invoke_full(n->w.ctx, G_PRIORITY_DEFAULT, notify, n,
                               (GDestroyNotify)notice_free);
  }
  if (g_hash_table_size(f->flights) == 0)
    g_cond_broadcast(&f->idle);
  g_mutex_unlock(&f->lock);
  flight_free(fl);
  return NULL;
}

SlFetcher *
sl_fetcher_new(SlImageCache *cache)
{
  SlFetcher *f = g_new0(SlFetcher, 1);
  f->cache = cache;
  g_mutex_init(&f->lock);
  g_cond_init(&f->idle);
  f->flights = g_hash_table_new(g_str_hash, g_str_equal);
  f->cancel = g_cancellable_new();
  return f;
}

void
sl_fetcher_free(SlFetcher *f)
{
  if (!f)
    return;
  g_mutex_lock(&f->lock);
  f->closing = TRUE;
  g_cancellable_cancel(f->cancel);
  while (g_hash_table_size(f->flights) > 0)
    g_cond_wait(&f->idle, &f->lock);
  g_mutex_unlock(&f->lock);
  g_hash_table_unref(f->flights);
  g_object_unref(f->cancel);
  g_mutex_clear(&f->lock);
  g_cond_clear(&f->idle);
  g_free(f);
}

static gboolean
cached_now(gpointer data)
{
  return notify(data);
}

gboolean
sl_fetcher_fetch(SlFetcher *f, const char *identifier, const SlFetchRequest *req,
                 SlFetchDoneFunc done, gpointer data)
{
  GMainContext *ctx = g_main_context_ref_thread_default();
  Waiter w = {done, data, ctx};
  g_mutex_lock(&f->lock);
  Flight *fl = g_hash_table_lookup(f->flights, identifier);
  if (fl) {
    g_array_append_val(fl->waiters, w);
    g_mutex_unlock(&f->lock);
    return FALSE;
  }
  /* not in flight: maybe already cached (a download that just ended) */
  SlImage *im = sl_image_cache_get(f->cache, identifier, NULL);
  if (im && g_strcmp0(im->state, "ready") == 0) {
    g_mutex_unlock(&f->lock);
    Notice *n = g_new0(Notice, 1);
    n->w = w;
    n->image = im;
    GSource *src = g_idle_source_new();
    g_source_set_callback(src, cached_now, n, (GDestroyNotify)notice_free);
    g_source_attach(src, ctx);
    g_source_unref(src);
    return FALSE;
  }
  sl_image_free(im);
  fl = g_new0(Flight, 1);
  fl->f = f;
  fl->id = g_strdup(identifier);
  fl->waiters = g_array_new(FALSE, FALSE, sizeof(Waiter));
  g_array_append_val(fl->waiters, w);
  fl->req = *req;
  fl->req.url = fl->url = g_strdup(req->url);
  fl->req.compression = fl->compression = g_strdup(req->compression);
  fl->req.ca_file = fl->ca_file = g_strdup(req->ca_file);
  fl->alternatives = g_strdupv((char **)req->alternatives);
  fl->checksums = g_strdupv((char **)req->checksums);
  fl->req.alternatives = (const char *const *)fl->alternatives;
  fl->req.checksums = (const char *const *)fl->checksums;
  fl->req.progress = on_progress;
  fl->req.progress_data = fl;
  fl->req.cancellable = f->cancel;
  fl->total = req->check_bytes ? req->bytes : 0;
  g_hash_table_insert(f->flights, fl->id, fl);
  f->started++;
  g_mutex_unlock(&f->lock);
  g_thread_unref(g_thread_new("image-fetch", run, fl));
  return TRUE;
}

int
sl_fetcher_progress(SlFetcher *f, const char *identifier)
{
  int pct = -1;
  g_mutex_lock(&f->lock);
  Flight *fl = g_hash_table_lookup(f->flights, identifier);
  if (fl)
    pct = fl->total ? (int)MIN(100, fl->done * 100 / fl->total) : 0;
  g_mutex_unlock(&f->lock);
  return pct;
}

guint
sl_fetcher_started(SlFetcher *f)
{
  g_mutex_lock(&f->lock);
  guint n = f->started;
  g_mutex_unlock(&f->lock);
  return n;
}
