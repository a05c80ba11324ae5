#!/bin/sh
# Quick start: plan -> apply -> re-apply on the bundled example CLIPER workspace,
# against the built-in Postiz-compatible sandbox (no Docker, no account needed).
#
#   python3 -m pip install . && sh examples/quickstart.sh
#
# Everything it writes goes to ./.quickstart/ (delete it to start over).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
work=${QUICKSTART_DIR:-.quickstart}
py=${PYTHON:-python3}

# The installed console script, as users type it. pip puts it in the
# interpreter's scripts folder (or ~/.local/bin for a --user install), which
# may not be on PATH yet: look there too, and say so.
cs_bin=$(command -v cliper-sched || true)
if [ -z "$cs_bin" ]; then
  for dir in "$("$py" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')" \
             "$("$py" -c 'import sysconfig; print(sysconfig.get_path("scripts", "posix_user"))')"; do
    if [ -x "$dir/cliper-sched" ]; then cs_bin="$dir/cliper-sched"; break; fi
  done
  if [ -z "$cs_bin" ]; then
    echo "cliper-sched is not installed: run 'python3 -m pip install .' first" >&2
    exit 1
  fi
  echo "note: $(dirname "$cs_bin") is not on your PATH; add it to type cliper-sched directly" >&2
fi
cs() { "$cs_bin" "$@"; }

# Start clean every time: a fresh sandbox and no plan or state from an earlier run.
rm -rf "$work"
mkdir -p "$work/plans"
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
key=$("$py" -c 'import secrets; print(secrets.token_hex(32))')
key_file="$work/api-key"
umask 077
printf '%s' "$key" > "$key_file"
umask 022

echo "==> Starting the sandbox (a local Postiz-compatible API) on port $port"
# Not through cs(): $! must be the server itself, not a subshell around it, or
# the trap below would leave the server running.
"$cs_bin" sandbox --port "$port" --db "$work/sandbox.db" --api-key "$key" --quiet > "$work/sandbox.log" 2>&1 &
sandbox_pid=$!
# Stop the sandbox on the way out, and wait until it has really gone.
trap 'kill "$sandbox_pid" 2>/dev/null; wait "$sandbox_pid" 2>/dev/null || true' EXIT INT TERM

export POSTIZ_API_URL="http://127.0.0.1:$port/api"
export POSTIZ_API_KEY_FILE="$key_file"
i=0
until cs doctor > /dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -gt 150 ]; then echo "the sandbox did not start; see $work/sandbox.log" >&2; exit 1; fi
  sleep 0.2
done

plan="$work/plans/example.yaml"
echo "==> cliper-sched plan examples/cliper-workspace -> $plan"
cs plan "$here/cliper-workspace" --rules "$here/rules.yaml" -o "$plan"

# The plan names the bundled workspace; when $work is outside this repository a plan
# alone may not reach it (README, "Security"), so the script says where it is.
export CLIPER_WORKSPACE="$here/cliper-workspace"

echo "==> cliper-sched validate $plan"
cs validate "$plan"

echo "==> cliper-sched apply $plan   (first run: creates every post)"
cs apply "$plan" --auto-approve

echo "==> cliper-sched apply $plan   (second run: nothing to do)"
cs apply "$plan" --auto-approve

echo "==> cliper-sched diff $plan --detailed-exitcode"
cs diff "$plan" --detailed-exitcode

echo
echo "Done: the plan is $plan, its state ${plan%.yaml}.state.json."
echo "To keep playing, start the sandbox again on the same database and point cliper-sched at it:"
echo "  cliper-sched sandbox --port $port --db $work/sandbox.db &   # it keeps the key in its db"
echo "  export POSTIZ_API_URL=$POSTIZ_API_URL POSTIZ_API_KEY_FILE=$key_file CLIPER_WORKSPACE=$CLIPER_WORKSPACE"
echo "  # edit a caption or a time in $plan, then:"
echo "  cliper-sched diff $plan"
