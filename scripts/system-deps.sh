#!/usr/bin/env bash
# Install the Debian/Ubuntu packages the map server needs; only what is missing.
# PostgreSQL + PostGIS for the project's own database, GDAL's tools for the
# benchmarks and client tests, Python's venv, Node.js/npm for front-end assets.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

updated=0
install() {
  local missing=()
  for pkg in "$@"; do installed "$pkg" || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$updated" = 0 ]; then $SUDO apt-get update -qq; updated=1; fi
  echo "installing: ${missing[*]}"
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install postgresql postgresql-contrib gdal-bin libpq-dev ca-certificates
# PostGIS is packaged per PostgreSQL major version: take the newest one installed.
pg_major=$(ls /usr/lib/postgresql | sort -n | tail -1)
install "postgresql-${pg_major}-postgis-3"
# nginx: the front server of the tile benchmark, serving cached tiles from var/tiles;
# curl: its load generator (parallel transfers in C).
install nginx-light curl
if ! python3 -c "import ensurepip, venv" 2>/dev/null; then install python3-venv python3-dev; fi
if [ -n "${WITH_NODE:-}" ] && ! command -v npm >/dev/null; then install nodejs npm; fi
# Headless Chromium for the map's browser tests (Playwright drives it; no downloaded browser).
if ! command -v chromium >/dev/null; then install chromium; fi
# The distribution starts its own cluster on 5432; the project runs its own and
# leaves that one alone.
exit 0
