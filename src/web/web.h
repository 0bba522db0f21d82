/* web.h - the portal of stratusd: HTML pages for the Marketplace, disks and
 * machines, served on the daemon's own port next to the REST resources.
 *
 * Pages live under /web/ (and / is the start page); they never answer on a
 * REST path. Their identity is the browser session of http/session.h (log-in
 * form, cookie HttpOnly; Secure; SameSite=Strict), never HTTP Basic; every
 * state-changing form carries the session's CSRF token (checked by the
 * router). Every page is rendered from a template (web/template.h, escaped
 * by default) inside one layout with one stylesheet, and is sent with a
 * Content-Security-Policy that allows no inline script.
 *
 * sl_web_register keeps the pointers of config (they must outlive the
 * router) and sets the router's session table.
 */
#pragma once
#include "cloud/cloud.h"
#include "http/http.h"
#include "market/service.h"
#include "pdisk/pdisk.h"

typedef struct {
  SlHttpSessions *sessions; /* required */
  SlHttpAuthFunc auth;      /* password check of the log-in form (required) */
  gpointer auth_data;
  guint idle_seconds;      /* shown on the account page (the table's idle expiry) */
  SlMarketService *market; /* NULL: no Marketplace pages */
  SlPdisk *pdisk;          /* NULL: no disk pages */
  SlCloud *cloud;          /* NULL: no machine pages */
} SlWebConfig;

void sl_web_register(SlHttpRouter *router, const SlWebConfig *config);
