/* iptable.c - the "public" address pool: an IPv4 CIDR block.
 *
 * Usable addresses are the block's host addresses (not its network or
 * broadcast address) whose last octet is neither 0, 1 nor 255 (no
 * gateway-looking or broadcast-looking addresses, even inside a /16), so
 * 127.100.0.0/16 starts at 127.100.0.2 and 10.0.0.0/29 is .2 to .6. Which addresses are
 * taken is the store's business (vms.ip); the pick runs inside the store's
 * allocation transaction.
 */
#include "cloud/cloud.h"

#include <arpa/inet.h>
#include <stdlib.h>

#include "util/error.h"

struct SlIpPool {
  guint32 first, last; /* host order, inclusive */
};

static gboolean
usable(guint32 a)
{
  guint8 low = a & 0xff;
  return low != 0 && low != 1 && low != 255;
}

SlIpPool *
sl_ip_pool_new(const char *cidr, GError **error)
{
  g_auto(GStrv) parts = g_strsplit(cidr ? cidr : "", "/", 2);
  struct in_addr addr;
  char *end = NULL;
  long bits = parts[0] && parts[1] ? strtol(parts[1], &end, 10) : -1;
  if (!parts[0] || !parts[1] || inet_pton(AF_INET, parts[0], &addr) != 1 || !end || *end ||
      bits < 8 || bits > 30) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "invalid network '%s' (want an IPv4 CIDR block from /8 to /30)", cidr ? cidr : "");
    return NULL;
  }
  guint32 mask = bits == 0 ? 0 : 0xffffffffu << (32 - bits);
  guint32 net = ntohl(addr.s_addr) & mask;
  SlIpPool *p = g_new0(SlIpPool, 1);
  p->first = net + 1;          /* never the block's network address */
  p->last = (net | ~mask) - 1; /* nor its broadcast address */
  while (p->first <= p->last && !usable(p->first))
    p->first++;
  while (p->last > p->first && !usable(p->last))
    p->last--;
  if (p->first > p->last || !usable(p->first)) {
    g_free(p);
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "network '%s' has no usable address", cidr);
    return NULL;
  }
  return p;
}

void
sl_ip_pool_free(SlIpPool *pool)
{
  g_free(pool);
}

guint
sl_ip_pool_size(const SlIpPool *pool)
{
  guint n = 0;
  for (guint64 a = pool->first; a <= pool->last; a++)
    n += usable((guint32)a);
  return n;
}

char *
sl_ip_pool_pick(GHashTable *used, gpointer data)
{
  const SlIpPool *p = data;
  for (guint64 a = p->first; a <= p->last; a++) {
    if (!usable((guint32)a))
      continue;
    struct in_addr in = {.s_addr = htonl((guint32)a)};
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &in, text, sizeof text);
    if (!used || !g_hash_table_contains(used, text))
      return g_strdup(text);
  }
  return NULL;
}

gboolean
sl_ip_pool_contains(const SlIpPool *pool, const char *address)
{
  struct in_addr in;
  if (!address || inet_pton(AF_INET, address, &in) != 1)
    return FALSE;
  guint32 a = ntohl(in.s_addr);
  return a >= pool->first && a <= pool->last && usable(a);
}

gboolean
sl_ip_pool_overlaps(const SlIpPool *a, const SlIpPool *b)
{
  return a->first <= b->last && b->first <= a->last;
}
