/* account.h - the account service's rules and single-use tokens (issue 15).
 *
 * Rules are those of the original registration service (protocols.md §8):
 * user name ^\w{3,20}$, password ^\S{8,20}$ (typed twice, equal), e-mail,
 * given and family names mandatory, agreement to the policies required.
 * Checks fail with SL_ERROR_INVALID and a one-line message naming the field.
 *
 * Tokens (approve/reject/reset links) are 32 random bytes as 64 lower-case
 * hex characters; only their SHA-256 (hex) is ever stored, so a read of the
 * store does not give working links.
 */
#pragma once
#include <glib.h>

typedef struct {
  const char *uid;
  const char *email;
  const char *given_name;
  const char *family_name;
  const char *x500_dn; /* optional */
  const char *password;
  const char *password_check;
  const char *message; /* optional */
  gboolean agreement;
} SlRegistration;

gboolean sl_account_check_uid(const char *uid, GError **error);
gboolean sl_account_check_password(const char *password, const char *check, GError **error);
/* Plain shape check: one '@' with text either side, no white space. */
gboolean sl_account_check_email(const char *email, GError **error);
/* Every rule above, in the form's order; the first failure is reported. */
gboolean sl_account_check_registration(const SlRegistration *reg, GError **error);

#define SL_ACCOUNT_TOKEN_CHARS 64

/* New random token; *hash_out (optional) gets its stored form. NULL + error
 * if the random source fails. */
char *sl_account_token_new(char **hash_out, GError **error);
/* Stored form of token (SHA-256, lower-case hex); NULL unless token has the
 * shape sl_account_token_new makes. */
char *sl_account_token_hash(const char *token);
