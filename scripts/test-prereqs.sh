#!/usr/bin/env bash
# Makes sure the real components the tests run against are on this machine, installing them when
# missing: the Temporal CLI and the Temporal server (built once with `go install`, cached outside the
# clone) and PostgreSQL (Debian's package). Prints what it does; changes nothing when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${REFLEX_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/reflex}"
cli_version=1.5.1
say() { printf 'test-prereqs: %s\n' "$*"; }

# --- Temporal CLI -----------------------------------------------------------------------------
if [ -n "${TEMPORAL_CLI_PATH:-}" ] && [ -x "$TEMPORAL_CLI_PATH" ]; then
  :
elif command -v temporal >/dev/null 2>&1 || [ -x .tools/temporal ]; then
  :
else
  cached="$cache/temporal-cli-$cli_version/temporal"
  if [ ! -x "$cached" ]; then
    go_bin=$(command -v go || true)
    [ -z "$go_bin" ] && [ -x /usr/local/go/bin/go ] && go_bin=/usr/local/go/bin/go
    if [ -z "$go_bin" ]; then
      say "no Temporal CLI and no Go to build one: install Go, or set TEMPORAL_CLI_PATH"
      exit 1
    fi
    say "building the Temporal CLI v$cli_version with go install (a few minutes, once) into $cache"
    GOBIN="$cache/temporal-cli-$cli_version" "$go_bin" install "github.com/temporalio/cli/cmd/temporal@v$cli_version"
  fi
  mkdir -p .tools
  ln -sf "$cached" .tools/temporal
  say "using the cached Temporal CLI at $cached"
fi

# --- Temporal server and its SQL schema tool (the cluster topology: cluster/, npm run cluster) -----
server_version=1.29.1
server_dir="$cache/temporal-server-$server_version"
if [ ! -x "$server_dir/server" ] || [ ! -x "$server_dir/sql" ]; then
  go_bin=$(command -v go || true)
  [ -z "$go_bin" ] && [ -x /usr/local/go/bin/go ] && go_bin=/usr/local/go/bin/go
  if [ -z "$go_bin" ]; then
    say "no Temporal server and no Go to build one: install Go"
    exit 1
  fi
  say "building the Temporal server v$server_version and its SQL tool with go install (about 7 minutes, once) into $server_dir"
  GOBIN="$server_dir" "$go_bin" install "go.temporal.io/server/cmd/server@v$server_version" \
    "go.temporal.io/server/cmd/tools/sql@v$server_version"
fi
say "using the cached Temporal server at $server_dir"

# --- Debian packages: PostgreSQL server binaries (the tests start their own throwaway cluster) and
# Chromium (browser tests drive it with playwright-core), poppler-utils (PDF exports are checked with pdftoppm) -------------------------------------------
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${PG_BIN:-}" ] || need+=(postgresql)
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
command -v python3 >/dev/null 2>&1 || need+=(python3)  # runs the shipped Wazuh integration script
command -v tmux >/dev/null 2>&1 || need+=(tmux)  # drives `reflex init` and the console through a terminal
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${need[*]} from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    say "missing: ${need[*]}: run 'sudo apt-get install ${need[*]}'"
    exit 1
  fi
fi
