/* account.c - registration rules and single-use tokens (see account.h). */
#include "account/account.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#include "util/error.h"

static gboolean
matches(const char *pattern, const char *text)
{
  return text != NULL &&
         g_regex_match_simple(pattern, text, G_REGEX_DEFAULT, G_REGEX_MATCH_DEFAULT);
}

gboolean
sl_account_check_uid(const char *uid, GError **error)
{
  /* \w of the original's Java regex is ASCII: [A-Za-z0-9_]. */
  if (!matches("^[A-Za-z0-9_]{3,20}\\z", uid)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "username must be 3 to 20 characters: letters, digits or '_'");
    return FALSE;
  }
  return TRUE;
}

gboolean
sl_account_check_password(const char *password, const char *check, GError **error)
{
  if (!matches("^\\S{8,20}\\z", password)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "password must be 8 to 20 characters without spaces");
    return FALSE;
  }
  if (check == NULL || strcmp(password, check) != 0) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "passwords do not match");
    return FALSE;
  }
  return TRUE;
}

gboolean
sl_account_check_email(const char *email, GError **error)
{
  if (!matches("^[^@\\s]+@[^@\\s]+\\z", email) || strlen(email) > 254) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "e-mail address is not valid");
    return FALSE;
  }
  return TRUE;
}

static gboolean
present(const char *value, const char *field, GError **error)
{
  if (value == NULL || value[strspn(value, " \t\r\n")] == '\0') {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "%s is required", field);
    return FALSE;
  }
  if (strlen(value) > 256 || !g_utf8_validate(value, -1, NULL)) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "%s is not valid", field);
    return FALSE;
  }
  return TRUE;
}

gboolean
sl_account_check_registration(const SlRegistration *reg, GError **error)
{
  if (!sl_account_check_uid(reg->uid, error) || !sl_account_check_email(reg->email, error) ||
      !present(reg->given_name, "given name", error) ||
      !present(reg->family_name, "family name", error) ||
      !sl_account_check_password(reg->password, reg->password_check, error))
    return FALSE;
  if (!reg->agreement) {
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "you must agree to the policies");
    return FALSE;
  }
  return TRUE;
}

static char *
sha256_hex(const void *data, size_t len)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1)
    return NULL;
  GString *hex = g_string_sized_new(md_len * 2);
  for (unsigned int i = 0; i < md_len; i++)
    g_string_append_printf(hex, "%02x", md[i]);
  return g_string_free(hex, FALSE);
}

char *
sl_account_token_new(char **hash_out, GError **error)
{
  unsigned char raw[SL_ACCOUNT_TOKEN_CHARS / 2];
  if (RAND_bytes(raw, sizeof raw) != 1) {
    g_set_error(error, SL_ERROR, SL_ERROR_INTERNAL, "no random bytes for a token");
    return NULL;
  }
  GString *hex = g_string_sized_new(SL_ACCOUNT_TOKEN_CHARS);
  for (size_t i = 0; i < sizeof raw; i++)
    g_string_append_printf(hex, "%02x", raw[i]);
  char *token = g_string_free(hex, FALSE);
  if (hash_out != NULL)
    *hash_out = sl_account_token_hash(token);
  return token;
}

char *
sl_account_token_hash(const char *token)
{
  if (!matches("^[0-9a-f]{64}\\z", token))
    return NULL;
  return sha256_hex(token, strlen(token));
}
