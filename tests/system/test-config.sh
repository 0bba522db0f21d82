#!/usr/bin/env bash
# User configuration: copy-config, file/section selection, precedence, errors.
. "$(dirname "$0")/lib.sh"
private_home
start_daemon
add_user alice alicepw1
ok_cfg=$(user_config alice alicepw1)

# copy-config
check "copy-config to default path" stratus-copy-config
expect "default config written" test -f "$HOME/.stratuslab/stratuslab-user.cfg"
check_err "copy-config refuses to overwrite" 1 "ERROR.*(exist|overwrite)" stratus-copy-config
check "copy-config --force overwrites" stratus-copy-config --force
check "copy-config -c path" stratus-copy-config -c "$T_TMP/copied.cfg"
expect "copied file has [default]" grep -q '^\[default\]' "$T_TMP/copied.cfg"
expect "copied file documents ca_certificate" grep -q 'ca_certificate' "$T_TMP/copied.cfg"

# The project's reference file (what copy-config writes) parses unchanged; its
# endpoint and credentials are placeholders: the command line wins over them.
check_out "copied reference file parses (command line wins)" "No disk to show" \
  stratus-describe-volumes -c "$T_TMP/copied.cfg" --endpoint "127.0.0.1:$SL_PORT" -u alice \
  -p alicepw1 --ca-certificate "$SL_CA"
check_err "copied reference file alone reaches no cloud" 1 "ERROR" \
  stratus-describe-volumes -c "$T_TMP/copied.cfg" --ca-certificate "$SL_CA"

# Interoperability: the StratusLab 13.05 client's own reference file.
ref=$SL_SHARED/fixtures/stratuslab/client/stratuslab-user.cfg.ref
if fixtures_or_skip "13.05 reference file parses" "13.05 reference file's placeholder credentials are refused"; then
  check_out "13.05 reference file parses" "No disk to show" \
    stratus-describe-volumes -c "$ref" --endpoint "127.0.0.1:$SL_PORT" -u alice -p alicepw1 \
    --ca-certificate "$SL_CA"
  check_err "13.05 reference file's placeholder credentials are refused" 1 "ERROR.*(401|uthenticat)" \
    stratus-describe-volumes -c "$ref" --endpoint "127.0.0.1:$SL_PORT" --ca-certificate "$SL_CA"
fi

# Precedence: command line > environment > file.
bad_cfg=$(user_config alice wrongpw)
check_err "file password used (wrong)" 1 "ERROR" stratus-describe-volumes -c "$bad_cfg"
check "env beats file" env STRATUSLAB_PASSWORD=alicepw1 stratus-describe-volumes -c "$bad_cfg"
check "command line beats env" env STRATUSLAB_PASSWORD=nope \
  stratus-describe-volumes -c "$bad_cfg" -p alicepw1
check "pdisk_password beats password" env STRATUSLAB_PDISK_PASSWORD=alicepw1 \
  stratus-describe-volumes -c "$bad_cfg"

# Sections.
cat >"$T_TMP/sections.cfg" <<CFG
[default]
endpoint = 127.0.0.1:1
username = alice
password = alicepw1
ca_certificate = $SL_CA

[good]
endpoint = 127.0.0.1:$SL_PORT
CFG
check_err "default section points nowhere" 1 "ERROR" stratus-describe-volumes -c "$T_TMP/sections.cfg"
check "-S selects a section" stratus-describe-volumes -c "$T_TMP/sections.cfg" -S good
check "--user-config-section selects a section" \
  stratus-describe-volumes -c "$T_TMP/sections.cfg" --user-config-section good
check "STRATUSLAB_USER_CONFIG_SECTION selects a section" \
  env STRATUSLAB_USER_CONFIG_SECTION=good stratus-describe-volumes -c "$T_TMP/sections.cfg"
sed 's/^\[default\]/[default]\nselected_section = good/' "$T_TMP/sections.cfg" >"$T_TMP/sel.cfg"
check "selected_section selects a section" stratus-describe-volumes -c "$T_TMP/sel.cfg"
check_err "missing section is an error" 1 "ERROR.*nosuch" \
  stratus-describe-volumes -c "$T_TMP/sections.cfg" -S nosuch

# Malformed files.
printf '[default]\nendpoint = x\nthis line is wrong\n' >"$T_TMP/bad.cfg"
check_err "malformed line names file and line" 1 "bad\.cfg.*3" \
  stratus-describe-volumes -c "$T_TMP/bad.cfg"
printf '[other]\nendpoint = x\n' >"$T_TMP/nodefault.cfg"
check_err "missing [default] is an error" 1 "default" stratus-describe-volumes -c "$T_TMP/nodefault.cfg"
check_err "explicit missing file is an error" 1 "ERROR.*nothere" \
  stratus-describe-volumes -c "$T_TMP/nothere.cfg"

# The server certificate is always verified.
cat >"$T_TMP/noca.cfg" <<CFG
[default]
endpoint = 127.0.0.1:$SL_PORT
username = alice
password = alicepw1
CFG
check_err "unknown CA is refused" 1 "ERROR.*(certificate|SSL|TLS)" \
  stratus-describe-volumes -c "$T_TMP/noca.cfg"
check "STRATUSLAB_CA_CERTIFICATE names the CA" \
  env STRATUSLAB_CA_CERTIFICATE="$SL_CA" stratus-describe-volumes -c "$T_TMP/noca.cfg"
check "STRATUSLAB_ENDPOINT overrides file endpoint" env STRATUSLAB_ENDPOINT="127.0.0.1:$SL_PORT" \
  stratus-describe-volumes -c "$T_TMP/sections.cfg"
finish
