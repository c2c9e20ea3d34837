# Sourced by .ci/run: Debian's Chromium for the status page's browser test, which then must run
# (FEED_REQUIRE_CHROMIUM turns its skip into a failure).
if ! command -v chromium >/dev/null 2>&1; then
    echo "installing Chromium from Debian's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
export FEED_REQUIRE_CHROMIUM=1
echo "$(chromium --version 2>/dev/null | head -1) for the browser test"
