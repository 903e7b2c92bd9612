# Sourced by test.sh: the browser suite needs Debian's chromium (Playwright's own browser
# download is not reachable from here) and Chinese fonts for pages and screenshots.
if ! command -v chromium >/dev/null 2>&1 || [ ! -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then
  echo "setup: installing chromium and fonts-wqy-microhei (Debian packages)"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null \
    || { echo "setup: could not install chromium (apt-get)" >&2; exit 1; }
fi
export CHROMIUM="${CHROMIUM:-$(command -v chromium)}"
