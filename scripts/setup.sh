#!/usr/bin/env bash
# Installs everything Mesh Validator needs on Debian 12 (as root). Idempotent: quick when all is there.
# Usage: bash scripts/setup.sh [--browser]   (--browser also installs what scripts/browser.sh needs:
#        chromium and chromium-driver from Debian, selenium from PyPI)
set -euo pipefail

APT_PACKAGES=(libsecp256k1-dev libopenblas-dev libgmp-dev libsqlite3-dev pkg-config python3 python3-pip gdb)
PY_PACKAGES=(coincurve numpy schemathesis py_ecc)  # schemathesis: scripts/contract.sh
if [ "${1:-}" = --browser ]; then
    APT_PACKAGES+=(chromium chromium-driver)
    PY_PACKAGES+=(selenium)
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python packages for the interop tests (an independent secp256k1 signer, an independent BN254 in
# py_ecc) and the float references.
for p in "${PY_PACKAGES[@]}"; do
    python3 -c "import $p" 2>/dev/null || {
        echo "setup: pip install $p" >&2
        python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "$p" ||
            python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "$p"
    }
done

command -v swift >/dev/null || { echo "setup: swift is not on PATH (expected Swift 6.3 at /opt/swift)" >&2; exit 1; }
