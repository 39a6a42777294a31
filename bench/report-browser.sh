#!/usr/bin/env bash
# The HTML report in a real browser: generates `run quickstart` and `compare seed-defaults`
# reports, loads each in headless Chromium with every host unresolvable (a page that
# fetched anything would log a failed load), and fails on any console message, uncaught
# error or failed load; checks the DOM has the report's sections; keeps a screenshot of
# each page.
#
# usage: bench/report-browser.sh [OUT_DIR]     default: a temporary directory, kept
# needs: chromium (Debian: apt-get install -y chromium); builds failsim --release.
#
# A canary page that logs a console error and throws is loaded first: the script fails if
# it does not see both, so a silent detector cannot pass a broken report.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-$(mktemp -d)}
mkdir -p "$OUT"
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [[ -z "$CHROMIUM" ]]; then
  echo "report-browser: no chromium found (Debian: apt-get install -y chromium)" >&2
  exit 2
fi
cargo build --release --quiet
FAILSIM=target/release/failsim

# browse PAGE PNG WIDTH HEIGHT: loads PAGE, writes its screenshot to PNG, its DOM to
# PNG.dom.html and the browser's log to PNG.log.
browse() {
  local page=$1 png=$2 width=$3 height=$4 profile
  profile=$(mktemp -d)
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-extensions --hide-scrollbars --host-resolver-rules='MAP * ~NOTFOUND' \
    --user-data-dir="$profile" --enable-logging=stderr --v=0 \
    --window-size="$width,$height" --screenshot="$png" "file://$page" \
    >/dev/null 2>"$png.log" || true
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-extensions --host-resolver-rules='MAP * ~NOTFOUND' \
    --user-data-dir="$profile" --enable-logging=stderr --v=0 \
    --dump-dom "file://$page" >"$png.dom.html" 2>>"$png.log" || true
  rm -rf "$profile"
}

# What the page logged from its own content: console messages, uncaught errors, failed
# loads. Chromium's own start-up noise (dbus, GPU, sandbox) is not about the page.
page_errors() {
  grep -E 'CONSOLE|Uncaught|ERR_NAME_NOT_RESOLVED|ERR_FILE_NOT_FOUND|Failed to load' "$1" || true
}

canary="$OUT/canary.html"
printf '%s\n' '<!DOCTYPE html><html><head><title>canary</title>' \
  '<script>console.error("canary-console-error"); throw new Error("canary-uncaught");</script>' \
  '</head><body>canary</body></html>' >"$canary"
browse "$canary" "$OUT/canary.png" 400 300
if ! page_errors "$OUT/canary.png.log" | grep -q canary-console-error ||
  ! page_errors "$OUT/canary.png.log" | grep -q canary-uncaught; then
  echo "report-browser: the canary's console error was not seen; cannot check reports" >&2
  cat "$OUT/canary.png.log" >&2
  exit 2
fi

failed=0
check() {
  local name=$1 height=$2; shift 2
  local page="$OUT/$name.html"
  # A failing check (exit 1) still writes the report; anything else is an error.
  "$FAILSIM" "$@" --report "$page" >/dev/null 2>"$OUT/$name.stderr" || [[ $? == 1 ]]
  browse "$page" "$OUT/$name.png" 1300 "$height"
  local errors
  errors=$(page_errors "$OUT/$name.png.log")
  if [[ -n "$errors" ]]; then
    echo "FAIL $name: the page logged:" >&2
    echo "$errors" >&2
    failed=1
  fi
  for section in summary checks figures scenario; do
    if ! grep -q "<section id=\"$section\">" "$OUT/$name.png.dom.html"; then
      echo "FAIL $name: no section #$section in the rendered DOM" >&2
      failed=1
    fi
  done
  if grep -Eq '(src|href)="?(https?:)?//' "$page"; then
    echo "FAIL $name: the page references a network resource" >&2
    failed=1
  fi
  local svgs
  svgs=$(grep -o '<svg' "$OUT/$name.png.dom.html" | wc -l)
  if [[ ! -s "$OUT/$name.png" ]]; then
    echo "FAIL $name: no screenshot" >&2
    failed=1
  fi
  echo "$name: $(wc -c <"$page") bytes, $svgs inline figures, no console errors: $([[ -z "$errors" ]] && echo yes || echo NO); screenshot $OUT/$name.png"
}

check quickstart-run 2400 run scenarios/quickstart.json --check 'availability>=0.999'
check seed-defaults-compare 5200 compare scenarios/seed-defaults.json --check 'availability>=0.9995'
if ! grep -q '<section id="winners">' "$OUT/seed-defaults-compare.png.dom.html"; then
  echo "FAIL seed-defaults-compare: no #winners section" >&2
  failed=1
fi
exit "$failed"
