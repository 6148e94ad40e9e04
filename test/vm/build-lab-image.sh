#!/usr/bin/env bash
# Builds the VM lab's Debian 12 disk image from Debian packages, then runs fleetbot's own golden-image
# script (templates/machine/build-image.sh, rendered by fleetbot) inside it, so that script is
# exercised on every image build.
# Usage: build-lab-image.sh OUT_DIR RENDERED_BUILD_SCRIPT PLACEHOLDER PLACEHOLDER_PATH_IN_IMAGE
# Writes OUT_DIR/{base.qcow2,vmlinuz,initrd.img}. Needs root, debootstrap, qemu-utils and e2fsprogs.
set -euo pipefail
out=$1 build_script=$2 placeholder=$3 placeholder_path=$4

# What the reference lab needed: python3-cffi-backend or cloud-init stays unconfigured; locales or
# cloud-init's locale module fails; caddy comes from Debian as it does on a real server. bubblewrap
# is for the hostile-agent suite, which starts fleetbot's local sandbox under the shipped unit's
# hardening with the VM's real systemd. docker.io is for the swarm provider's two-node Swarm; it is
# off at boot (below), so VMs that do not use it boot as fast as before. apparmor is what docker.io
# recommends: Debian's kernel has AppArmor on, and without apparmor_parser every container start
# fails ("the docker-default profile could not be loaded").
packages=systemd-sysv,udev,dbus,openssh-server,cloud-init,python3-cffi-backend,locales,linux-image-amd64,iproute2,sudo,ca-certificates,curl,caddy,procps,less,bubblewrap,docker.io,apparmor

# The Debian mirror apt on this machine already uses, so the build needs no other network.
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list)

work=$(mktemp -d /var/tmp/fleetbot-lab-image.XXXXXX)
root=$work/root
cleanup() {
  for m in dev/pts dev proc sys; do umount "$root/$m" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

debootstrap --variant=minbase --include="$packages" bookworm "$root" "$mirror"

mount -t proc proc "$root/proc"
mount -t sysfs sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
cp /etc/resolv.conf "$root/etc/resolv.conf"

# The lab's cloud: DHCP on the bridge, NoCloud seeds, no network config from cloud-init.
cat > "$root/etc/systemd/network/20-lab.network" <<'NET'
[Match]
Name=en*

[Network]
DHCP=ipv4
NET
cat > "$root/etc/cloud/cloud.cfg.d/90-lab.cfg" <<'CFG'
datasource_list: [NoCloud, None]
manage_etc_hosts: true
network: {config: disabled}
CFG
echo 'en_US.UTF-8 UTF-8' > "$root/etc/locale.gen"
chroot "$root" locale-gen
echo 'LANG=en_US.UTF-8' > "$root/etc/default/locale"
chroot "$root" systemctl enable systemd-networkd
chroot "$root" systemctl mask e2scrub_reap.service apt-daily.timer apt-daily-upgrade.timer
chroot "$root" systemctl disable docker.service docker.socket containerd.service
echo '/dev/vda / ext4 defaults 0 1' > "$root/etc/fstab"

# fleetbot's golden-image script, exactly as fleetbot sends it to a build server.
install -m 0644 "$placeholder" "$root$placeholder_path"
chroot "$root" sh -s < "$build_script"

chroot "$root" apt-get clean
rm -f "$root$placeholder_path"
: > "$root/etc/resolv.conf"
: > "$root/etc/machine-id"
for m in dev/pts dev proc sys; do umount "$root/$m"; done

mkdir -p "$out"
cp "$root"/boot/vmlinuz-* "$out/vmlinuz"
cp "$root"/boot/initrd.img-* "$out/initrd.img"
mkfs.ext4 -q -F -L labroot -d "$root" "$work/base.raw" 3G
qemu-img convert -O qcow2 "$work/base.raw" "$out/base.qcow2"
