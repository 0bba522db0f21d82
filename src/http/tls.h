/* tls.h - the daemon's TLS material: a private CA and a server certificate.
 *
 * Files under dir (normally DATA_DIR/tls): ca.key, ca.crt (self-signed CA,
 * the certificate clients trust), server.key, server.crt (signed by the CA,
 * SAN = the listen address + DNS:localhost + IP:127.0.0.1). ECDSA P-256,
 * SHA-256, valid 10 years. Keys are 0600; every file is written atomically.
 * An existing server certificate is reused when it is signed by the CA, still
 * valid, matches its key and covers host; otherwise a new one is issued from
 * the existing CA (clients keep trusting ca.crt).
 */
#pragma once
#include <glib.h>

/* Creates what is missing under dir and returns the server certificate and key
 * in PEM (newly allocated). host is the listen address (IP or name). */
gboolean sl_tls_ensure(const char *dir, const char *host, char **cert_pem, char **key_pem,
                       GError **error);
