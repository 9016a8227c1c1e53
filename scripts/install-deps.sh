#!/usr/bin/env bash
# Installs what the test suites need beyond Rust, Java/Maven and Node.js:
# Debian's Chromium and ChromeDriver for the browser tests, and a real SMTP server for the
# e-mail one-time password tests (Python's aiosmtpd, from PyPI, in a virtual environment
# under target/test-tools/smtp-venv). Idempotent.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

# The SMTP server of the e-mail tests (server/tests/api/otp.rs reads the messages it got).
venv="$root/target/test-tools/smtp-venv"
if ! "$venv/bin/python" -c "import aiosmtpd" >/dev/null 2>&1; then
  echo "Installing aiosmtpd (PyPI) into $venv…"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==1.4.6"
fi

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing ${need[*]} (Debian packages)…"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo_cmd=(sudo); else
    echo "Please install as root: apt-get install ${need[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
