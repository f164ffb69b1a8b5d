#!/usr/bin/env bash
# The step of the Tandem GitHub action (../action.yml): runs `tandem --json deploy` and turns its
# result into step outputs and a job summary.
#
# Every input arrives as an environment variable (INPUT_*), set through `env:` in action.yml; none
# is ever spliced into the text of a script, and each is passed to tandem as one quoted argument.
# The exit code is tandem's (README, "Exit codes"); 2 also for an invalid input of this action.
set -euo pipefail

fail_input() {
  echo "::error title=Tandem action::$1"
  exit 2
}

services_text="${INPUT_SERVICES:-}"
environment="${INPUT_ENVIRONMENT:-}"
config="${INPUT_CONFIG:-tandem.yaml}"
wait_input="${INPUT_WAIT:-true}"
timeout_input="${INPUT_TIMEOUT:-}"
version="${INPUT_VERSION:-}"

# Services: whitespace-separated SERVICE@VERSION words (no glob expansion: read -a does not glob).
services=()
read -r -d '' -a services < <(printf '%s' "$services_text") || true
[[ ${#services[@]} -gt 0 ]] || fail_input "input 'services' is required, e.g. \"api@2.4.0 web@1.8.0\""

case "$wait_input" in
  true | false) ;;
  *) fail_input "input 'wait' must be true or false" ;;
esac
if [[ -n "$timeout_input" && ! "$timeout_input" =~ ^[0-9]+(\.[0-9]+)?[smhd]?$ ]]; then
  fail_input "input 'timeout' must be a duration such as 900, 30m or 2h"
fi

# Which tandem: TANDEM_BIN, else the `version` input through npx, else `tandem` on PATH, else npx.
if [[ -n "${TANDEM_BIN:-}" ]]; then
  if [[ "$TANDEM_BIN" == *.js ]]; then tandem=(node "$TANDEM_BIN"); else tandem=("$TANDEM_BIN"); fi
elif [[ -n "$version" ]]; then
  [[ "$version" =~ ^[A-Za-z0-9.+~^*-]+$ ]] || fail_input "input 'version' is not a version or range"
  tandem=(npx --yes --package "tandem-deploy@$version" -- tandem)
elif command -v tandem >/dev/null 2>&1; then
  tandem=(tandem)
else
  tandem=(npx --yes --package tandem-deploy -- tandem)
fi

# Server mode: the CLI reads TANDEM_SERVER and TANDEM_TOKEN (needs a tandem with `--server`).
if [[ -n "${INPUT_SERVER:-}" ]]; then
  export TANDEM_SERVER="$INPUT_SERVER"
fi
if [[ -n "${INPUT_TOKEN:-}" ]]; then
  if [[ "$INPUT_TOKEN" != *$'\n'* && "$INPUT_TOKEN" != *$'\r'* ]]; then
    echo "::add-mask::$INPUT_TOKEN"
  fi
  export TANDEM_TOKEN="$INPUT_TOKEN"
fi
if [[ -n "${INPUT_REASON:-}" ]]; then
  export TANDEM_REASON="$INPUT_REASON"
fi

args=(--json)
# A server keeps its own configuration; a local run needs the file.
if [[ -z "${TANDEM_SERVER:-}" || -f "$config" ]]; then args+=(--config "$config"); fi
args+=(deploy)
if [[ -n "$environment" ]]; then args+=(--env "$environment"); fi
if [[ "$wait_input" == false ]]; then args+=(--no-wait); fi
args+=(-- "${services[@]}")

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
result="$work/release.json"
summary="$work/summary.md"
: >"$summary"

command=("${tandem[@]}" "${args[@]}")
if [[ -n "$timeout_input" && "$wait_input" == true ]]; then
  # SIGTERM stops following the release (tandem exits 130; `tandem engine` can continue it).
  command=(timeout --preserve-status --signal=TERM --kill-after=30s "$timeout_input" "${command[@]}")
fi

set +e
GITHUB_STEP_SUMMARY="$summary" "${command[@]}" >"$result"
code=$?
set -e

release_id=""
status=""
if [[ -s "$result" ]]; then
  {
    IFS= read -r release_id || true
    IFS= read -r status || true
  } < <(node -e '
    const fs = require("node:fs");
    let value;
    try { value = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { process.exit(0); }
    const release = Array.isArray(value) ? value[0] : value;
    const clean = (s) => String(s ?? "").replace(/[\r\n]/g, " ");
    if (release && typeof release === "object" && release.id) {
      process.stdout.write(`${clean(release.id)}\n${clean(release.status)}\n`);
    }
  ' "$result")
fi
if [[ -z "$status" ]]; then
  case "$code" in
    130 | 143) status="interrupted" ;;
    *) status="error" ;;
  esac
fi

if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then cat "$summary" >>"$GITHUB_STEP_SUMMARY"; fi

delimiter="tandem_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
{
  echo "release-id=$release_id"
  echo "status=$status"
  echo "exit-code=$code"
  echo "summary<<$delimiter"
  cat "$summary"
  echo "$delimiter"
} >>"${GITHUB_OUTPUT:-/dev/stdout}"

exit "$code"
