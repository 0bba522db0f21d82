/* cloud-helpers.h - fixture pieces shared by the src/cloud unit tests. */
#pragma once

#include "cloud/cloud.h"

/* Writes size bytes of 'x' to dir/base.img, adds it to images and returns its
 * identifier (free with g_free); asserts. */
char *th_base_image(SlImageCache *images, const char *dir, gsize size);

/* Frees cloud with the main loop drained before and after. */
void th_cloud_free(SlCloud *cloud);
