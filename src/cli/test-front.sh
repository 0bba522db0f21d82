#!/usr/bin/env bash
# test-front.sh FRONT TABLES - the front (front.c) prints, byte for byte and with the same exit
# status, what the module prints for every shape it answers itself, for every command both as
# `stratus <cmd>` and as a `stratus-<cmd>` link; the other shapes reach the module (an unknown
# command, an option after --help: through the module loaded by the front).
front=$1 tables=$2
tmp=$(mktemp -d) && trap 'rm -rf "$tmp"' EXIT
ln -s "$(readlink -f "$front")" "$tmp/stratus"
mkdir "$tmp/t"
n=0 bad=0
check() { # name, expected-cmd..., --, actual-cmd...
  local name=$1; shift
  local exp=() act=()
  while [ "$1" != -- ]; do exp+=("$1"); shift; done
  shift; act=("$@")
  "${exp[@]}" >"$tmp/e" 2>&1; local re=$?
  "${act[@]}" >"$tmp/a" 2>&1; local ra=$?
  n=$((n + 1))
  if [ $re = $ra ] && cmp -s "$tmp/e" "$tmp/a"; then
    echo "ok $n - $name"
  else
    bad=$((bad + 1))
    echo "not ok $n - $name (exit $re vs $ra)"
    diff "$tmp/e" "$tmp/a" | head -5 | sed 's/^/# /'
  fi
}
cmds=$("$tables" --dump-completion | sed -n "s/^  \([a-z-]*\)) words=.*/\1/p")
[ -n "$cmds" ] || { echo "1..1"; echo "not ok 1 - no command in the completion script"; exit 1; }
for a in "" --help -h help --version no-such-command; do
  check "stratus $a" "$tables" $a -- "$tmp/stratus" $a
done
for c in $cmds; do
  ln -s "$(readlink -f "$front")" "$tmp/stratus-$c"
  ln -s "$(readlink -f "$tables")" "$tmp/t/stratus-$c"
  for a in --help -h --version; do
    check "stratus $c $a" "$tables" "$c" "$a" -- "$tmp/stratus" "$c" "$a"
    check "stratus-$c $a" "$tmp/t/stratus-$c" "$a" -- "$tmp/stratus-$c" "$a"
  done
  check "stratus-$c --help -v (module)" "$tmp/t/stratus-$c" --help -v -- "$tmp/stratus-$c" --help -v
done
check "stratus-no-such-command (module)" "$tables" no-such -- "$tmp/stratus" no-such
echo "1..$n"
exit $((bad > 0))
