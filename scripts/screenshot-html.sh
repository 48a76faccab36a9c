#!/bin/sh
# Render a document as HTML and screenshot it in headless Chromium, to check its layout.
#   scripts/screenshot-html.sh PAGE.html OUT.png
# Needs Chromium (Debian: apt-get install -y chromium). Not part of the test suite.
set -eu
page=$(realpath "$1")
out=$(realpath -m "$2")
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --hide-scrollbars --window-size=1100,1500 \
    --screenshot="$out" "file://$page" 2>/dev/null
echo "wrote $out"
