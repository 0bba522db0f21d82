/* vm-def.h - the definition of a virtual machine: what POST /vms/ asks for,
 * completed by the cloud at request time (image sources, ports) and stored
 * with the VM row (the vms.spec column). One typed value from the REST body
 * to Prolog; the hypervisor's SlVmSpec is derived from it at Boot.
 *
 * Stored form (JSON object, keys sorted; rows written by older versions read
 * the same): context {KEY: value}, public_key, volatile_disk, ports [int],
 * outbound, network, context_label, type, the root image as image_path + image_kind or
 * fetch {locations, compression, bytes, checksums [[alg, value]], entry},
 * readonly_disks [{id, image_path, image_kind} | {id, fetch}], save {...}.
 * The row's own columns (name, image, vcpu, ram, swap) are not repeated.
 *
 * Strings are owned; NULL means "not given".
 */
#pragma once
#include <glib.h>
#include <jansson.h>

/* A Marketplace download to do in Prolog (docs/images.md). */
typedef struct {
  GStrv locations;   /* usable URLs, the first is tried first */
  char *compression; /* "" = none */
  guint64 bytes;
  GStrv checksums; /* algorithm, value, algorithm, value, ..., NULL */
  GBytes *entry;   /* the signed metadata entry (XML), or NULL */
} SlVmDefFetch;

/* An image the VM boots from or attaches read-only. */
typedef struct {
  char *id;            /* identifier (NULL for the root image: the row's `image`) */
  char *path;          /* cached file (absolute), NULL when it is fetched in Prolog */
  char *format;        /* "raw" | "qcow2" of path */
  SlVmDefFetch *fetch; /* NULL when cached */
} SlVmDefImage;

/* `save` of POST /vms/ (protocols.md §7.1, docs/save.md). */
typedef struct {
  char *author, *author_email, *image_version, *title, *comment;
  char *marketplace; /* NULL = the cloud's */
} SlVmDefSave;

typedef struct {
  /* asked for; not stored (the row's columns hold what the cloud made of them) */
  char *image;        /* root image identifier (required) */
  int cpu, ram, swap; /* < 0 = the instance type's (ram, swap in MiB) */
  int number;         /* VMs of this request; <= 0 = 1 */
  char *name;
  GStrv persistent; /* volume UUIDs attached at boot, or NULL */
  char *address;    /* the IPv4 address asked for (--address; one VM), or NULL = the pool's */
  /* asked for and stored */
  char *type; /* instance type name, or NULL (m1.small) */
  char *public_key;
  int volatile_disk;   /* GiB, 0 = none */
  GStrv context;       /* KEY, value, KEY, value, ..., NULL; or NULL */
  GPtrArray *readonly; /* SlVmDefImage*: read-only data disks (only id when asked), or NULL */
  SlVmDefSave *save;   /* or NULL */
  /* completed by the cloud and stored */
  SlVmDefImage *root; /* the root image source, or NULL */
  GArray *ports;      /* guint16 inbound TCP ports, or NULL: asked ("inbound_ports", at most
                       * SL_VM_DEF_MAX_PORTS), completed with the network's and the image's */
  gboolean outbound;
  char *network;       /* asked (NULL = "public"; --local-ip "local", --private-ip "private"),
                        * then the network's name */
  char *context_label; /* volume label of the context CD: "CONTEXT" for images of a
                          distribution with stock cloud-init (cloud.c), NULL = _STRATUSLAB */
} SlVmDef;

SlVmDef *sl_vm_def_new(void);
SlVmDef *sl_vm_def_copy(const SlVmDef *def);
void sl_vm_def_free(SlVmDef *def);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlVmDef, sl_vm_def_free)

SlVmDefImage *sl_vm_def_image_new(const char *id, const char *path, const char *format);
void sl_vm_def_image_free(SlVmDefImage *image);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlVmDefImage, sl_vm_def_image_free)
void sl_vm_def_fetch_free(SlVmDefFetch *fetch);
void sl_vm_def_save_free(SlVmDefSave *save);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlVmDefSave, sl_vm_def_save_free)

#define SL_VM_DEF_MAX_PORTS 32

/* The JSON-valued members of a request: "context" (object of strings), "inbound_ports"
 * (array of TCP ports, numbers or strings),
 * "persistent_disks" and "readonly_disks" (arrays of strings), "save"
 * (object of strings). SL_ERROR_INVALID "<member> must be ..." otherwise. */
gboolean sl_vm_def_set_json(SlVmDef *def, const char *member, json_t *value, GError **error);
/* `save` from and to its JSON object (request and stored form). */
SlVmDefSave *sl_vm_def_save_from_json(json_t *object, GError **error);
json_t *sl_vm_def_save_to_json(const SlVmDefSave *save);

/* The stored form (above). parse: NULL text or "" = an empty definition;
 * SL_ERROR_INVALID for text that is not a JSON object of that form. */
char *sl_vm_def_format(const SlVmDef *def);
SlVmDef *sl_vm_def_parse(const char *text, GError **error);

/* The value of context KEY, or NULL. */
const char *sl_vm_def_context_get(const SlVmDef *def, const char *key);
