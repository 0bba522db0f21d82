/* types.c - instance types (protocols.md §2.3), sorted by name. */
#include "cloud/cloud.h"

static const SlInstanceType types[] = {
    {"c1.medium", 2, 1536, 1536}, {"c1.xlarge", 4, 6144, 6144}, {"m1.large", 2, 6144, 6144},
    {"m1.medium", 1, 3072, 3072}, {"m1.small", 1, 1536, 1536},  {"m1.xlarge", 4, 8192, 8192},
    {"t1.micro", 1, 512, 512},
};

const SlInstanceType *
sl_cloud_types(guint *n)
{
  *n = G_N_ELEMENTS(types);
  return types;
}

const SlInstanceType *
sl_cloud_type_lookup(const char *name)
{
  for (gsize i = 0; name && i < G_N_ELEMENTS(types); i++)
    if (g_ascii_strcasecmp(types[i].name, name) == 0)
      return &types[i];
  return NULL;
}
