#!/bin/sh
# Builds the tiny-linux guest image from Debian packages only: the cloud kernel
# (linux-image-cloud-amd64's current dependency) and busybox-static, in an initramfs
# with just the modules a QEMU guest needs, plus a blank qcow2 base for root disks.
#
#   images/tiny-linux/build.sh [OUT_DIR]   (default: target/guest/tiny-linux)
#
# Idempotent: nothing is rebuilt while OUT_DIR/stamp matches this script, the rootfs
# files and the kernel package. Needs apt-get (download only), dpkg-deb, gzip and
# qemu-img; not root.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../target/guest/tiny-linux}
# Absolute, because the build runs in a temp dir.
mkdir -p "$out" && out=$(cd "$out" && pwd)
# Modules the guest loads at boot (their dependencies come along through modules.dep).
modules="virtio_pci virtio_blk virtio_net virtio_console qemu_fw_cfg button evdev"

kernel_pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
[ -n "$kernel_pkg" ] || { echo "build.sh: apt-cache knows no linux-image-cloud-amd64 (run apt-get update)" >&2; exit 1; }
stamp=$(cat "$0" $(find "$here/rootfs" -type f | sort) | sha256sum | cut -c1-16)-$kernel_pkg
if [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "tiny-linux is up to date in $out"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download -q "$kernel_pkg" busybox-static 2>&1 | grep -v '^W: Download is performed unsandboxed' || true
dpkg-deb -x linux-image-*.deb kernel
dpkg-deb -x busybox-static_*.deb busybox

version=$(ls kernel/lib/modules)
moddir=kernel/lib/modules/$version
# The package leaves modules.dep to the installer; busybox's depmod writes it.
busybox/bin/busybox depmod -b kernel "$version"
root=$work/root
mkdir -p "$root/bin" "$root/sbin" "$root/proc" "$root/sys" "$root/dev" "$root/lib/modules/$version"
cp -a "$here/rootfs/." "$root/"
cp busybox/bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
ln -s ../bin/busybox "$root/sbin/init"
echo "$modules" | tr ' ' '\n' > "$root/etc/modules"

# Each wanted module and what modules.dep says it needs.
for m in $modules; do
    line=$(grep -E "(^|/)$m\.ko:" "$moddir/modules.dep") || { echo "build.sh: no module $m in $version" >&2; exit 1; }
    for ko in $(echo "$line" | tr -d ':'); do
        mkdir -p "$root/lib/modules/$version/$(dirname "$ko")"
        cp "$moddir/$ko" "$root/lib/modules/$version/$ko"
    done
done
cp "$moddir/modules.dep" "$moddir/modules.order" "$moddir/modules.builtin" "$root/lib/modules/$version/" 2>/dev/null || true

mkdir -p "$out"
bb=$work/busybox/bin/busybox
(cd "$root" && find . | sort | "$bb" cpio -o -H newc > "$work/initrd.cpio")
gzip -9 -c "$work/initrd.cpio" > "$out/initrd.img.new"
cp kernel/boot/vmlinuz-"$version" "$out/vmlinuz.new"
mv "$out/vmlinuz.new" "$out/vmlinuz"
mv "$out/initrd.img.new" "$out/initrd.img"
# The base every root disk is an overlay of: blank, since the guest runs from its initramfs.
rm -f "$out/disk.qcow2"
qemu-img create -q -f qcow2 "$out/disk.qcow2" 1G
printf '{"name": "tiny-linux", "kernel": "%s", "busybox": "%s"}\n' "$version" \
    "$("$root/bin/busybox" | head -1 | awk '{print $2}')" > "$out/image.json"
echo "$stamp" > "$out/stamp"
echo "built tiny-linux ($version) in $out"
