# Sourced by .ci/run: the README's first command in its own fresh virtualenv (runtime
# dependencies only), checked by fetching the demo feed it prints.
DEMO_DIR="$(mktemp -d /tmp/feed-demo.XXXXXX)"
DEMO_VENV="$DEMO_DIR/.venv"
DEMO_PORT=8799
(
    cd "$DEMO_DIR"
    python3 -m venv "$DEMO_VENV"
    . "$DEMO_VENV/bin/activate"
    pip install -q -e "$OLDPWD" && exec feed serve --demo --port "$DEMO_PORT"
) >"$DEMO_DIR/serve.log" 2>&1 &
DEMO_PID=$!
for _ in $(seq 1 600); do
    grep -q "Uvicorn running" "$DEMO_DIR/serve.log" 2>/dev/null && break
    sleep 0.5
done
CSV_URL="$(grep -o 'http://[^ ]*\.csv' "$DEMO_DIR/serve.log" | head -1)"
ROWS="$(curl -fsS -o /dev/null -D - "$CSV_URL" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-feed-rows"{print $2}')"
kill "$DEMO_PID" 2>/dev/null; wait "$DEMO_PID" 2>/dev/null || true
if [ "$ROWS" != "300" ]; then
    echo "demo smoke test failed: feed rows '$ROWS'"; cat "$DEMO_DIR/serve.log"; exit 1
fi
echo "demo smoke test: feed serve --demo served $ROWS rows at $CSV_URL"
rm -rf "$DEMO_DIR"
