#!/usr/bin/env bash
# Proves the Debian package on a bare Debian 12 system with no Swift: a debootstrap'd root in .build-debian/ (made
# once, then unpacked fresh for every run), the package installed with apt-get, then `rollgate doctor`, `seed`,
# `audit` and `plan 23` run from /tmp with the installed catalog against a SecantusDB test server started outside
# the root, the reports checked (junit.xml against the JUnit schema), `man rollgate`, and `ldd` showing no Swift
# library. Run as root after scripts/bootstrap.sh (it installs debootstrap and libxml2-utils when missing):
#   scripts/package-test.sh [dist/rollgate_*.deb]     (builds the package first when none is given or found)
# Not part of .ci/run: it takes minutes and needs root for chroot and mounts.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "package-test: run as root (chroot, mount)" >&2; exit 2; }

if [ -z "${ROLLGATE_TEST_URI:-}" ]; then  # start the test server, then come back in under it
  deb="${1:-$(ls -t dist/rollgate_*.deb 2>/dev/null | head -1 || true)}"
  [ -n "$deb" ] || deb="$(scripts/package.sh)"
  missing=()
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v xmllint >/dev/null || missing+=(libxml2-utils)
  if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  exec .venv/bin/python scripts/test_server.py -- "$0" "$deb"
fi
deb="$1"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
pristine=.build-debian/bookworm-minbase.tar
root=.build-debian/root
step() { printf '\n== %s\n' "$*"; }
seconds() { date +%s.%N; }

if [ ! -f "$pristine" ]; then
  step "debootstrap: a bare Debian 12 (minbase) into .build-debian (once)"
  rm -rf .build-debian/bootstrap && mkdir -p .build-debian
  debootstrap --variant=minbase bookworm .build-debian/bootstrap "$mirror" >/dev/null
  tar -C .build-debian/bootstrap -cf "$pristine" . && rm -rf .build-debian/bootstrap
fi
cleanup() {
  for mount in dev/pts dev proc sys; do mountpoint -q "$root/$mount" && umount -l "$root/$mount"; done
  rm -rf "$root"
}
trap cleanup EXIT
cleanup
mkdir -p "$root" && tar -C "$root" -xf "$pristine"
mount -t proc proc "$root/proc" && mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev" && mount --bind /dev/pts "$root/dev/pts"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }

step "the bare system: $(cat "$root/etc/debian_version"), swift: $(in_root sh -c 'command -v swift || echo none')"
in_root apt-get update -qq
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq man-db >/dev/null  # only for `man rollgate`
step "apt-get install ./$(basename "$deb")"
started=$(seconds)
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "/tmp/$(basename "$deb")" | tail -3
echo "installed in $(awk "BEGIN { printf \"%.1f\", $(seconds) - $started }") s; package $(du -h "$deb" | cut -f1) ($(stat -c %s "$deb") bytes), installed size $(in_root dpkg-query -W -f='${Installed-Size}' rollgate) KiB"

uri="$ROLLGATE_TEST_URI"
run() { in_root sh -c "cd /tmp && $*"; }
step "rollgate --version (from /tmp)"; run rollgate --version
step "rollgate doctor"; run rollgate doctor --uri "$uri" --db rollgate_package | sed -n 1,6p
step "rollgate seed"; run rollgate seed --uri "$uri" --db rollgate_package --orders 2000 --drop | tail -2
step "rollgate audit"
status=0; run rollgate audit --uri "$uri" --db rollgate_package --report-dir /tmp/audit-reports | tail -4 || status=$?
echo "exit $status"; [ "$status" -eq 0 ] || { echo "package-test: audit exited $status" >&2; exit 1; }
step "rollgate plan 23"
run rollgate plan 23 --uri "$uri" --db rollgate_package --no-history --report-dir /tmp/plan-reports | tail -3
step "reports"
for dir in audit-reports plan-reports; do
  xmllint --noout --schema Tests/ReportsTests/Expected/junit.xsd "$root/tmp/$dir/junit.xml"
  grep -q "installed with rollgate" "$root/tmp/$dir/report.md" || { echo "package-test: $dir/report.md names no installed catalog" >&2; exit 1; }
  ls "$root/tmp/$dir"
done
step "man rollgate"; in_root man -P cat rollgate 2>/dev/null | sed -n 1,12p
step "ldd /usr/bin/rollgate"; in_root ldd /usr/bin/rollgate
if in_root ldd /usr/bin/rollgate | grep -qi swift; then echo "package-test: a Swift library is linked" >&2; exit 1; fi
step "package-test: passed"
