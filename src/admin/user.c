/* user.c - stratus-admin user add|list|del|passwd. */
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "admin/admin.h"
#include "auth/auth.h"
#include "store/store.h"
#include "util/error.h"

static gboolean
check_name(const char *name, GError **error)
{
  gsize n = strlen(name);
  gboolean ok = n >= 1 && n <= 64;
  for (gsize i = 0; ok && i < n; i++)
    ok = g_ascii_isalnum(name[i]) || strchr("_.@-", name[i]);
  if (!ok)
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                "invalid user name '%s' (1 to 64 of letters, digits, '_', '.', '@', '-')", name);
  return ok;
}

/* One line of stdin, without its line ending; echo off when it is a terminal. */
static char *
read_password(GError **error)
{
  gboolean tty = isatty(STDIN_FILENO);
  struct termios saved;
  if (tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
    struct termios quiet = saved;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    g_printerr("Password: ");
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  } else {
    tty = FALSE;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n = getline(&line, &cap, stdin);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    g_printerr("\n");
  }
  if (n < 0)
    n = 0;
  while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
    n--;
  char *pw = g_strndup(line ? line : "", (gsize)n);
  if (line) {
    explicit_bzero(line, cap);
    free(line);
  }
  if (!pw[0]) {
    g_free(pw);
    g_set_error(error, SL_ERROR, SL_ERROR_INVALID, "empty password (give it on standard input)");
    return NULL;
  }
  return pw;
}

/* The hash to store: --hash (validated) or a new hash of the stdin password. */
static char *
new_hash(AdminContext *ctx, GError **error)
{
  if (ctx->hash) {
    if (!sl_auth_hash_is_valid(ctx->hash)) {
      g_set_error(error, SL_ERROR, SL_ERROR_INVALID,
                  "--hash: not a supported crypt(3) hash (yescrypt, SHA-512, SHA-256, bcrypt)");
      return NULL;
    }
    return g_strdup(ctx->hash);
  }
  char *pw = read_password(error);
  if (!pw)
    return NULL;
  char *hash = sl_auth_hash_password(pw, error);
  explicit_bzero(pw, strlen(pw));
  g_free(pw);
  return hash;
}

static gboolean
no_hash_option(AdminContext *ctx, GError **error)
{
  if (ctx->hash) {
    admin_usage_error(error, "--hash only applies to 'user add' and 'user passwd'");
    return FALSE;
  }
  return TRUE;
}

static gboolean
user_add(AdminContext *ctx, char **args, GError **error)
{
  if (!check_name(args[0], error))
    return FALSE;
  g_autoptr(SlStore) store = sl_store_open(ctx->data_dir, error);
  if (!store)
    return FALSE;
  g_autoptr(GError) err = NULL;
  g_autoptr(SlUser) existing = sl_store_user_get(store, args[0], &err);
  if (existing) {
    g_set_error(error, SL_ERROR, SL_ERROR_CONFLICT, "user %s already exists", args[0]);
    return FALSE;
  }
  g_autofree char *hash = new_hash(ctx, error);
  return hash && sl_store_user_add(store, args[0], hash, error);
}

static gboolean
user_passwd(AdminContext *ctx, char **args, GError **error)
{
  if (!check_name(args[0], error))
    return FALSE;
  g_autoptr(SlStore) store = sl_store_open(ctx->data_dir, error);
  if (!store)
    return FALSE;
  g_autoptr(SlUser) existing = sl_store_user_get(store, args[0], error);
  if (!existing)
    return FALSE;
  g_autofree char *hash = new_hash(ctx, error);
  return hash && sl_store_user_set_hash(store, args[0], hash, error);
}

static gboolean
user_del(AdminContext *ctx, char **args, GError **error)
{
  if (!no_hash_option(ctx, error) || !check_name(args[0], error))
    return FALSE;
  g_autoptr(SlStore) store = sl_store_open(ctx->data_dir, error);
  return store && sl_store_user_delete(store, args[0], error);
}

static gboolean
user_list(AdminContext *ctx, char **args, GError **error)
{
  (void)args;
  if (!no_hash_option(ctx, error))
    return FALSE;
  g_autoptr(SlStore) store = sl_store_open(ctx->data_dir, error);
  if (!store)
    return FALSE;
  g_autoptr(GPtrArray) users = sl_store_user_list(store, error);
  if (!users)
    return FALSE;
  for (guint i = 0; i < users->len; i++)
    g_print("%s\n", ((SlUser *)users->pdata[i])->name);
  return TRUE;
}

static const AdminCommand user_commands[] = {
    {"add", "NAME", "add a user (password on stdin, or --hash STORED)", 1, user_add},
    {"list", "", "list user names, one per line", 0, user_list},
    {"del", "NAME", "delete a user", 1, user_del},
    {"passwd", "NAME", "set a user's password (stdin, or --hash STORED)", 1, user_passwd},
};

const AdminGroup admin_user_group = {"user", user_commands, G_N_ELEMENTS(user_commands)};
