#!/bin/sh
# Builds fleetbot's golden image on a fresh Debian/Ubuntu server; fleetbot snapshots the disk afterwards.
# Rendered by fleetbot; values are quoted for the shell.
set -eu

agents_root={{agentsRoot}}
placeholder={{placeholder}}

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get upgrade -yq
apt-get install -yq --no-install-recommends ca-certificates curl nodejs caddy nftables

# Each agent gets a Unix user of its own at deploy time; the image only has the folder they live in.
install -d -m 0755 "$agents_root"

# Caddy stays installed but disabled, with a port-80-only placeholder: a clone must not ask for
# certificates (ACME allows 10 registrations per IP per 3 hours) before its agent runs.
install -m 0644 "$placeholder" /etc/caddy/Caddyfile
systemctl disable caddy
# Stopping needs systemd running: a build in a chroot (the VM lab's image) has none, and nothing runs.
if [ -d /run/systemd/system ]; then systemctl stop caddy; fi

{{#npmPackages}}
# The role's own programs (install.npm in its role file), such as the coding CLI it talks to.
apt-get install -yq --no-install-recommends npm
npm install --global --no-fund --no-audit --no-update-notifier {{npmPackages}}
{{/npmPackages}}
node --version
caddy version

# Clones rerun cloud-init, which installs their own host key and login key.
cloud-init clean --logs
rm -f /etc/ssh/ssh_host_*

# Unsynced writes were snapshotted as 0-byte files once; flush everything before the snapshot.
sync
