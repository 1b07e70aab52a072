#!/usr/bin/env bash
# fixtures.sh OUT_DIR: builds the test fixture .debs into OUT_DIR (called by golden.sh).
#   librouxd_1.0-1_all.deb  a "library" (/usr/lib/rouxd/librouxd.sh) rouxd sources
#   rouxd_1.0-1_all.deb     a tiny daemon (/usr/sbin/rouxd, sh loop) depending on librouxd; SysV init
#   rouxd_1.1-1_all.deb     script (start-stop-daemon + /run/rouxd.pid), systemd unit, conffile
#                           /etc/rouxd.conf it reads at start and on HUP (reload); logs to /var/log/rouxd.log
#   rouxtool_1.0-1_all.deb  an independent package with no daemon and no dependencies
set -euo pipefail
OUT=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

control() { # dir name version depends description
  mkdir -p "$1/DEBIAN"
  { echo "Package: $2"; echo "Version: $3"; echo "Architecture: all"
    echo "Maintainer: roux tests <roux@example.invalid>"; echo "Section: misc"; echo "Priority: optional"
    [ -n "$4" ] && echo "Depends: $4"
    echo "Description: $5"; } > "$1/DEBIAN/control"
}

# librouxd
d=$W/librouxd; mkdir -p "$d/usr/lib/rouxd"
control "$d" librouxd 1.0-1 "" "roux test fixture library"
cat > "$d/usr/lib/rouxd/librouxd.sh" <<'X'
# librouxd: sourced by rouxd
rouxd_log() { echo "$(date +%s) $*" >> /var/log/rouxd.log; }
X
dpkg-deb --root-owner-group --build "$d" "$OUT/librouxd_1.0-1_all.deb"

# rouxtool
d=$W/rouxtool; mkdir -p "$d/usr/bin"
control "$d" rouxtool 1.0-1 "" "roux test fixture tool"
printf '#!/bin/sh\necho rouxtool 1.0\n' > "$d/usr/bin/rouxtool"; chmod 755 "$d/usr/bin/rouxtool"
dpkg-deb --root-owner-group --build "$d" "$OUT/rouxtool_1.0-1_all.deb"

for ver in 1.0-1 1.1-1; do
  d=$W/rouxd-$ver; mkdir -p "$d/usr/sbin" "$d/etc/init.d" "$d/lib/systemd/system"
  control "$d" rouxd "$ver" "librouxd (>= 1.0)" "roux test fixture daemon"
  cat > "$d/usr/sbin/rouxd" <<X
#!/bin/sh
# rouxd $ver: reads /etc/rouxd.conf at start and on HUP, logs, sleeps.
. /usr/lib/rouxd/librouxd.sh
conf() { CONF=\$(cat /etc/rouxd.conf 2>/dev/null | tr '\n' ' '); rouxd_log "rouxd $ver pid \$\$ conf: \$CONF"; }
trap 'conf' HUP
trap 'rouxd_log "rouxd pid \$\$ stopping"; exit 0' TERM INT
conf
while :; do sleep 1 & wait \$!; done
X
  chmod 755 "$d/usr/sbin/rouxd"
  echo "greeting = hello" > "$d/etc/rouxd.conf"
  echo "/etc/rouxd.conf" > "$d/DEBIAN/conffiles"
  cat > "$d/etc/init.d/rouxd" <<'X'
#!/bin/sh
### BEGIN INIT INFO
# Provides:          rouxd
# Required-Start:    $local_fs
# Required-Stop:     $local_fs
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: roux test fixture daemon
### END INIT INFO
. /lib/lsb/init-functions
PID=/run/rouxd.pid
DAEMON=/usr/sbin/rouxd
do_start() { start-stop-daemon --start --quiet --background --make-pidfile --pidfile $PID --startas /bin/sh -- $DAEMON; }
do_stop() { start-stop-daemon --stop --quiet --retry TERM/5 --remove-pidfile --pidfile $PID; }
case "$1" in
  start) log_daemon_msg "Starting rouxd" "rouxd"; do_start; rc=$?; [ $rc = 1 ] && rc=0; log_end_msg $rc; exit $rc ;;
  stop) log_daemon_msg "Stopping rouxd" "rouxd"; do_stop; rc=$?; [ $rc = 1 ] && rc=0; log_end_msg $rc; exit $rc ;;
  restart|force-reload) do_stop; do_start ;;
  reload) start-stop-daemon --stop --signal HUP --quiet --pidfile $PID ;;
  status) status_of_proc -p $PID /bin/sh rouxd; exit $? ;;
  *) echo "Usage: $0 {start|stop|restart|reload|force-reload|status}"; exit 2 ;;
esac
X
  chmod 755 "$d/etc/init.d/rouxd"
  cat > "$d/lib/systemd/system/rouxd.service" <<'X'
[Unit]
Description=roux test fixture daemon

[Service]
ExecStart=/bin/sh /usr/sbin/rouxd
ExecReload=/bin/kill -HUP $MAINPID

[Install]
WantedBy=multi-user.target
X
  cat > "$d/DEBIAN/postinst" <<'X'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  update-rc.d rouxd defaults >/dev/null
  if [ -n "$2" ]; then invoke-rc.d rouxd restart || true; else invoke-rc.d rouxd start || true; fi
fi
X
  cat > "$d/DEBIAN/prerm" <<'X'
#!/bin/sh
set -e
if [ "$1" = remove ]; then invoke-rc.d rouxd stop || true; fi
X
  cat > "$d/DEBIAN/postrm" <<'X'
#!/bin/sh
set -e
if [ "$1" = purge ]; then update-rc.d rouxd remove >/dev/null || true; rm -f /var/log/rouxd.log; fi
X
  chmod 755 "$d/DEBIAN/postinst" "$d/DEBIAN/prerm" "$d/DEBIAN/postrm"
  dpkg-deb --root-owner-group --build "$d" "$OUT/rouxd_${ver}_all.deb"
done
