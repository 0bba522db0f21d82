/* cmd-hash-password.c - stratus-hash-password: the credential strings of a
 * user name and password (13.05 Jetty MD5/CRYPT forms, plus the yescrypt
 * hash stored by stratusd). */
#include <crypt.h>
#include <string.h>

#include "client.h"

static const SlOption *const options[] = {sl_opts_base, NULL};

/* crypt(3) DES salt: first two of (username + "..") kept in [./a-zA-Z0-9]. */
static void
des_salt(const char *username, char salt[3])
{
  g_autofree char *s = g_strconcat(username, "..", NULL);
  int n = 0;
  for (const char *p = s; *p && n < 2; p++)
    if (g_ascii_isalnum(*p) || *p == '.' || *p == '/')
      salt[n++] = *p;
  salt[n] = '\0';
}

static void
wipe(char *s)
{
  if (s != NULL)
    memset(s, 0, strlen(s));
}

static int
run(SlCli *cli, char **args)
{
  (void)cli;
  (void)args;
  g_autofree char *username = sl_prompt("username:", TRUE);
  if (username == NULL) {
    sl_out_error("No user name given");
    return SL_EXIT_FAILED;
  }
  g_autofree char *pw1 = sl_prompt("password:", FALSE);
  g_autofree char *pw2 = pw1 ? sl_prompt("retype password:", FALSE) : NULL;
  if (pw1 == NULL || pw2 == NULL || strcmp(pw1, pw2) != 0) {
    wipe(pw1);
    wipe(pw2);
    sl_out_error("Passwords did not match");
    return SL_EXIT_FAILED;
  }
  wipe(pw2);

  g_autofree char *md5 = g_compute_checksum_for_string(G_CHECKSUM_MD5, pw1, -1);
  char salt[3];
  des_salt(username, salt);
  struct crypt_data *data = g_new0(struct crypt_data, 1);
  g_autofree char *des = g_strdup(crypt_r(pw1, salt, data));
  char *setting = crypt_gensalt_ra("$y$", 0, NULL, 0);
  g_autofree char *stored = NULL;
  if (setting != NULL) {
    memset(data, 0, sizeof *data);
    const char *h = crypt_r(pw1, setting, data);
    if (h != NULL && h[0] != '*')
      stored = g_strdup(h);
  }
  free(setting);
  wipe(pw1);
  memset(data, 0, sizeof *data);
  g_free(data);
  if (des == NULL || des[0] == '*' || stored == NULL) {
    sl_out_error("Cannot hash the password with libcrypt");
    return SL_EXIT_FAILED;
  }
  printf("MD5:%s\nCRYPT:%s\nSTORED:%s\n", md5, des, stored);
  return SL_EXIT_OK;
}

const SlCommand sl_cmd_hash_password = {
    .name = "hash-password",
    .summary = "Hash a password to give to the cloud administrator",
    .synopsis = "[options]",
    .description = "Ask for a user name and (twice) a password and print their hashed forms, "
                   "for the cloud administrator to register. The prompts go to stderr; when "
                   "stdin is not a terminal the three answers are read as plain lines.",
    .options = options,
    .implemented = TRUE,
    .run = run,
    .flags = 0,
    .min_args = 0,
    .max_args = 0,
    .output_doc =
        "Three lines:\n\n"
        "    $ stratus-hash-password\n"
        "    username:alice\n"
        "    password:\n"
        "    retype password:\n"
        "    MD5:5ebe2294ecd0e0f08eab7690d2a6ee69\n"
        "    CRYPT:alLeJsGsRtpcA\n"
        "    STORED:$y$j9T$...\n\n"
        "- `MD5:` the hexadecimal MD5 of the password and `CRYPT:` its traditional DES "
        "crypt(3) with the salt made of the first two characters of (user name + `..`) that "
        "are in `[./a-zA-Z0-9]`: the 13.05 credential strings (Jetty `login-pswd.properties`).\n"
        "- `STORED:` a yescrypt hash (libcrypt, fresh random salt) that "
        "`stratus-admin user add NAME --hash '<hash>'` accepts: what stratusd stores.",
    .errors_doc = "- `  [ERROR] Passwords did not match` (exit 1)\n"
                  "- `  [ERROR] No user name given` (end of input, exit 1)",
};
