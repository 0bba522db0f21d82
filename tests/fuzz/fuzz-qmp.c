/* fuzz-qmp.c - QMP messages from a QEMU process: greeting, replies matched by
 * id (errors included), events and their translation into domain events,
 * fed line by line to a client that has commands waiting as the qemu driver
 * does (query-status, qom-list, device_del). */
#include "fuzz.h"
#include "hypervisor/qemu/events.h"
#include "hypervisor/qemu/qmp.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  FUZZ_QUIET();
  return 0;
}

static void
on_event(SlQmp *q, const char *name, json_t *data, gpointer user)
{
  (void)q;
  (void)user;
  SlDomainEvent ev;
  if (sl_qemu_translate_event(name, data, &ev) && ev.kind == SL_DOMAIN_EVENT_DEVICE_DELETED)
    g_assert(ev.device != NULL);
}

static void
on_reply(SlQmp *q, json_t *reply, const GError *error, gpointer data)
{
  (void)q;
  int *n = data;
  (*n)++;
  if (error) {
    g_assert(reply == NULL && error->message);
    return;
  }
  /* what the qemu driver reads from its replies */
  json_string_value(json_object_get(reply, "status"));
  size_t i;
  json_t *child;
  json_array_foreach(reply, i, child)
  {
    json_string_value(json_object_get(child, "type"));
    json_string_value(json_object_get(child, "name"));
  }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  int replies = 0;
  SlQmp *q = sl_qmp_new(on_event, NULL, NULL);
  sl_qmp_execute(q, "query-status", NULL, on_reply, &replies);
  sl_qmp_execute(q, "qom-list", json_pack("{s:s}", "path", "/machine/peripheral"), on_reply,
                 &replies);
  sl_qmp_execute(q, "device_del", json_pack("{s:s}", "id", "disk-1"), NULL, NULL);
  g_autofree char *text = fuzz_strdup(data, size);
  g_auto(GStrv) lines = g_strsplit_set(text, "\r\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (*lines[i])
      sl_qmp_feed_line(q, lines[i]);
  sl_qmp_free(q);
  g_assert(replies <= 2);
  return 0;
}
