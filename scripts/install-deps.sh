#!/usr/bin/env bash
# Installs what the test suites need beyond Rust, Java/Maven and Node.js, idempotently:
# * Debian's Chromium and ChromeDriver for the browser tests;
# * nginx for the card login test behind a reverse proxy and the reference deployment's test,
#   NSS tools and OpenSSL to give the browser a test card;
# * systemd-analyze (Debian's systemd package), which checks the shipped systemd units;
# * oathtool (OATH Toolkit), the reference the OTP account tests check codes against;
# * Debian's Apache httpd with mod_auth_openidc, the relying party of the `oidc_apache` suite;
# * a Python virtual environment with the pinned OpenID Connect client of the `oidc_authlib`
#   suite (tests/oidc-client/requirements.txt), in <target>/oidc-client-venv;
# * a real SMTP server for the e-mail one-time password tests: Python's aiosmtpd (PyPI,
#   pinned below) in <target>/smtp-venv (tests/src/smtp.rs reads what it received);
# * the axe-core accessibility engine (npm, pinned below) in <target>/axe-core, which the
#   browser suites inject into the pages (tests/src/accessibility.rs);
# * zbar (libzbar0), the peer decoder core/examples/qr_report compares the QR decoder with;
# * Debian's PostgreSQL server, whose programs (initdb, postgres) the PostgreSQL suites run as
#   a throwaway cluster of their own (server/tests/processes/postgres.rs; no system service).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || need+=(nginx)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
command -v pk12util >/dev/null 2>&1 || need+=(libnss3-tools)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v oathtool >/dev/null 2>&1 || need+=(oathtool)
[ -x /usr/sbin/apache2 ] || need+=(apache2)
[ -f /usr/lib/apache2/modules/mod_auth_openidc.so ] || need+=(libapache2-mod-auth-openidc)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)
ldconfig -p 2>/dev/null | grep -q 'libzbar\.so\.0' || need+=(libzbar0)
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
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
fi

# The OpenID Connect client library, reinstalled when its requirements change.
requirements=tests/oidc-client/requirements.txt
venv="${CARGO_TARGET_DIR:-target}/oidc-client-venv"
if ! cmp -s "$requirements" "$venv/requirements.txt"; then
  echo "Installing the Python OpenID Connect client into $venv…"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  cp "$requirements" "$venv/requirements.txt"
fi

# The SMTP server of the e-mail tests.
smtp_venv="${CARGO_TARGET_DIR:-target}/smtp-venv"
if ! "$smtp_venv/bin/python" -c "import aiosmtpd" >/dev/null 2>&1; then
  echo "Installing aiosmtpd (PyPI) into $smtp_venv…"
  rm -rf "$smtp_venv"
  python3 -m venv "$smtp_venv"
  "$smtp_venv/bin/pip" install --quiet --disable-pip-version-check "aiosmtpd==1.4.6"
fi

# The accessibility engine of the browser suites (npm package, its MPL-2.0 licence in the
# package folder).
axe_version=4.14.1
axe_dir="${CARGO_TARGET_DIR:-target}/axe-core"
if ! grep -qs "\"version\": \"$axe_version\"" "$axe_dir/node_modules/axe-core/package.json"; then
  echo "Installing axe-core $axe_version (npm) into $axe_dir…"
  rm -rf "$axe_dir"
  mkdir -p "$axe_dir"
  npm install --prefix "$axe_dir" --no-save --no-audit --no-fund --silent "axe-core@$axe_version"
fi
