#!/usr/bin/env bash
# test-completion.sh STRATUS - the bash completion that `stratus --dump-completion` writes
# completes every command of `stratus --help` and the options of each (TAP).
set -u
stratus=$1
script=$(mktemp)
trap 'rm -f "$script"' EXIT
n=0 bad=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; bad=$((bad + 1)); fi; }
complete_words() { # complete_words WORD... : COMPREPLY for the last word, one per line
  COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
  _stratus
  printf '%s\n' "${COMPREPLY[@]}"
}
commands=$("$stratus" --help | awk '/^Commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}')
echo "1..$((4 + $(wc -w <<<"$commands")))"
"$stratus" --dump-completion >"$script"
bash -n "$script"; ok $? "the script is valid bash"
# shellcheck source=/dev/null
source "$script" 2>/dev/null
[ "$(complete_words stratus cop)" = copy-config ]; ok $? "stratus cop -> copy-config"
[ "$(complete_words stratus-run-instance --vm-n)" = --vm-name ]; ok $? "stratus-run-instance --vm-n -> --vm-name"
[ "$(complete_words stratus run-instance --vm-n)" = --vm-name ]; ok $? "stratus run-instance --vm-n -> --vm-name"
for c in $commands; do
  [ "$(complete_words "stratus-$c" --hel)" = --help ] && complete -p "stratus-$c" >/dev/null 2>&1
  ok $? "stratus-$c: registered, completes its options"
done
[ "$bad" = 0 ]
