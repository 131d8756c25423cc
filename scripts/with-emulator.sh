#!/usr/bin/env bash
# Runs a command with a fresh moto server on a free port, exported as AWS_ENDPOINT_URL.
# The server is stopped however the command ends (success, failure, Ctrl-C).
set -euo pipefail
cd "$(dirname "$0")/.."

port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp -t loop-moto.XXXXXX.log)
# moto with DynamoDB requests serialized: see local/moto_serialized.py for why.
.venv/bin/python local/moto_serialized.py -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
cleanup() {
  kill "$moto_pid" 2>/dev/null || true
  wait "$moto_pid" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT INT TERM

for _ in $(seq 1 300); do
  if .venv/bin/python -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
    break
  fi
  if ! kill -0 "$moto_pid" 2>/dev/null; then
    echo "moto server exited at start-up:" >&2; cat "$log" >&2; exit 1
  fi
  sleep 0.1
done

export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION="${AWS_REGION:-us-east-1}"
echo "moto server on $AWS_ENDPOINT_URL"
"$@"
