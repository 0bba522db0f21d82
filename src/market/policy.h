/* policy.h - the cloud's site image policy (protocols.md §5.5, docs/images.md).
 *
 * File format (StratusLab's policy.cfg, Python ConfigParser style): sections
 * [endorsers] whitelistendorsers / blacklistendorsers (e-mails),
 * [images] whitelistimages / blacklistimages (identifiers), [checksums]
 * whitelistchecksums / blacklistchecksums (SHA-1 hex). A value may continue
 * on following lines that start with blanks; items are separated by blanks
 * or commas; `#` and `;` start comment lines. Only non-empty lists apply.
 * An entry passes when every applied list lets it through.
 *
 * Reasons (one per refused entry, as the 13.05 client prints them):
 *   "email endorser <e> is not whitelisted, rejecting entry"
 *   "email endorser <e> is blacklisted, rejecting entry"
 *   "image <id> is not whitelisted, rejecting entry"
 *   "image <id> is blacklisted, rejecting entry"
 *   "checksum <sha1> is not whitelisted, rejecting entry"
 *   "checksum <sha1> is blacklisted, rejecting entry"
 * and, when no entry is left, SL_MARKET_POLICY_REFUSED.
 */
#pragma once
#include <glib.h>

#include "market/entry.h"

#define SL_MARKET_POLICY_REFUSED "Image isn't valid according to site policy"

typedef struct {
  GPtrArray *whitelist_endorsers, *blacklist_endorsers; /* char*, never NULL */
  GPtrArray *whitelist_images, *blacklist_images;
  GPtrArray *whitelist_checksums, *blacklist_checksums; /* lower-case hex */
} SlMarketPolicy;

/* An empty policy (everything passes). */
SlMarketPolicy *sl_market_policy_new(void);
/* Parses the text of a policy file. Unknown sections and keys are ignored;
 * a line that is neither a section, a key, a continuation nor a comment fails
 * (SL_ERROR_INVALID "line N: ..."). */
SlMarketPolicy *sl_market_policy_parse(const char *text, gsize len, GError **error);
/* Reads a file (SL_ERROR_NOT_FOUND when it does not exist); errors are
 * prefixed with the path. */
SlMarketPolicy *sl_market_policy_load(const char *path, GError **error);
void sl_market_policy_free(SlMarketPolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SlMarketPolicy, sl_market_policy_free)

/* TRUE when no list applies. */
gboolean sl_market_policy_is_empty(const SlMarketPolicy *policy);

/* Checks one entry: TRUE when accepted, else FALSE with the reason
 * (SL_ERROR_FORBIDDEN). E-mails compare case-insensitively, checksums
 * numerically (hex, any case, leading zeros). */
gboolean sl_market_policy_check(const SlMarketPolicy *policy, const SlMarketEntry *entry,
                                GError **error);
