#!/bin/sh
# Install what the browser tests need: Debian's headless Chromium and a CJK font.
# Idempotent: does nothing when /usr/bin/chromium and the Noto CJK font are present.
# Needs root (or sudo) and the Debian package mirror; without them it says so and
# exits 0, and the browser tests skip with a reason.
set -u
font_present() {
    ls /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc >/dev/null 2>&1 ||
        (command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh | grep -q .)
}
if [ -x /usr/bin/chromium ] && font_present; then
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-browser: no apt-get here; install chromium and a CJK font yourself (browser tests will skip)" >&2
    exit 0
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "setup-browser: not root and no sudo; browser tests will skip" >&2
        exit 0
    fi
fi
echo "setup-browser: installing chromium and fonts-noto-cjk (once)" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk; }; then
    echo "setup-browser: apt-get failed; browser tests will skip" >&2
fi
exit 0
