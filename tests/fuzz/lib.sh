# tests/fuzz/lib.sh - shared by tests/fuzz/run-short and bench/fuzz: the fuzz
# build and the harness list.
fuzz_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Harness names, from tests/fuzz/meson.build ("'name': [files(...").
fuzz_harnesses() {
  sed -n "s/^ *'\([a-z0-9-]*\)': \[files(.*/\1/p" "$fuzz_top/tests/fuzz/meson.build"
}

# fuzz_build DIR: configures (clang, ASan+UBSan, libFuzzer) and compiles the
# harnesses into DIR; prints the build's tail and fails when it does not build.
fuzz_build() {
  local dir=$1 log=$1.log
  mkdir -p "$(dirname "$dir")"
  {
    if [ -f "$dir/build.ninja" ]; then
      meson setup --reconfigure "$dir" "$fuzz_top"
    else
      CC=clang meson setup "$dir" "$fuzz_top" -Dfuzz=true -Dtests=false \
        -Db_sanitize=address,undefined -Db_lundef=false
    fi && meson compile -C "$dir"
  } >"$log" 2>&1 || { tail -30 "$log"; return 1; }
}

# What the sanitizers do in every run: stop at the first error, with a stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
