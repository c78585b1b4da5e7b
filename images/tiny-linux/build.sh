#!/bin/sh
# Builds the tiny-linux guest image from Debian packages only: cloud kernels and
# busybox-static, each kernel with an initramfs holding just the modules a QEMU guest
# needs, plus a blank qcow2 base for root disks.
#
#   images/tiny-linux/build.sh [OUT_DIR]   (default: target/guest/tiny-linux)
#
# Kernels (a VM boots one; gureum's QEMU driver selects another with a kernel upgrade):
#   vmlinuz, initrd.img             the default: bookworm's cloud kernel (6.1)
#   kernels/<release>/              each kernel: bookworm's (6.1) and bookworm-backports' (6.12)
#   kernels/broken-<release>/       the backports kernel with an initramfs that lacks the
#                                   virtio drivers: it boots but never reports ready (no
#                                   network card), the forced failure of an upgrade test;
#                                   selected by the kernel prefix "broken"
# image.json lists them ("kernel" is the default, "kernels" all of them).
#
# Idempotent: nothing is rebuilt while OUT_DIR/stamp matches this script, the rootfs
# files and the kernel packages. Needs apt-get (download only), dpkg-deb, gzip, xz and
# qemu-img; not root. Without bookworm-backports in the apt sources only the default
# kernel is built.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../target/guest/tiny-linux}
# Absolute, because the build runs in a temp dir.
mkdir -p "$out" && out=$(cd "$out" && pwd)
# Modules the guest loads at boot (their dependencies come along through modules.dep);
# those a kernel has built in are skipped. The broken initramfs has no virtio drivers.
modules="virtio_pci virtio_blk virtio_net virtio_console qemu_fw_cfg button evdev"
broken_modules="qemu_fw_cfg button evdev"

# The kernel package linux-image-cloud-amd64 depends on in suite $1 (empty: the default).
kernel_package() {
    apt-cache depends ${1:+-t "$1"} linux-image-cloud-amd64 2>/dev/null \
        | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}
default_pkg=$(kernel_package "")
[ -n "$default_pkg" ] || { echo "build.sh: apt-cache knows no linux-image-cloud-amd64 (run apt-get update)" >&2; exit 1; }
backports_pkg=$(kernel_package bookworm-backports)
[ "$backports_pkg" != "$default_pkg" ] || backports_pkg=
stamp=$(cat "$0" $(find "$here/rootfs" -type f | sort) | sha256sum | cut -c1-16)-$default_pkg-$backports_pkg
if [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "tiny-linux is up to date in $out"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download -q $default_pkg $backports_pkg busybox-static 2>&1 \
    | grep -v '^W: Download is performed unsandboxed' || true
dpkg-deb -x busybox-static_*.deb busybox
bb=$work/busybox/bin/busybox

# The root file system every initramfs shares: rootfs/ and busybox.
base=$work/base
mkdir -p "$base/bin" "$base/sbin" "$base/proc" "$base/sys" "$base/dev" "$base/lib/modules"
cp -a "$here/rootfs/." "$base/"
cp "$bb" "$base/bin/busybox"
for applet in $("$bb" --list); do
    [ -e "$base/bin/$applet" ] || ln -s busybox "$base/bin/$applet"
done
ln -s ../bin/busybox "$base/sbin/init"

# Extracts kernel package $1 into kernel-<release>/ and prints the release.
extract_kernel() {
    dpkg-deb -x "$1"_*.deb unpacked
    version=$(ls unpacked/lib/modules)
    mv unpacked "kernel-$version"
    # Newer kernels ship xz-compressed modules: decompressed so busybox needs no xz.
    find "kernel-$version/lib/modules" -name '*.ko.xz' -exec xz -d {} +
    # The package leaves modules.dep to the installer; busybox's depmod writes it.
    "$bb" depmod -b "kernel-$version" "$version"
    echo "$version"
}

# Writes the initramfs of kernel release $1 with modules $2 to $3.
build_initrd() {
    version=$1
    moddir=$work/kernel-$version/lib/modules/$version
    root=$work/root-$(basename "$(dirname "$3")")
    rm -rf "$root" && cp -a "$base" "$root"
    mkdir -p "$root/lib/modules/$version"
    : > "$root/etc/modules"
    # Each wanted module and what modules.dep says it needs.
    for m in $2; do
        grep -qE "(^|/)$m\.ko$" "$moddir/modules.builtin" && continue
        line=$(grep -E "(^|/)$m\.ko:" "$moddir/modules.dep") || { echo "build.sh: no module $m in $version" >&2; exit 1; }
        echo "$m" >> "$root/etc/modules"
        for ko in $(echo "$line" | tr -d ':'); do
            mkdir -p "$root/lib/modules/$version/$(dirname "$ko")"
            cp "$moddir/$ko" "$root/lib/modules/$version/$ko"
        done
    done
    cp "$moddir/modules.dep" "$moddir/modules.order" "$moddir/modules.builtin" "$root/lib/modules/$version/" \
        2>/dev/null || true
    (cd "$root" && find . | sort | "$bb" cpio -o -H newc) | gzip -6 > "$3"
}

# Each kernel in kernels.new/<name>/, then everything is moved in at once.
kernels=$work/kernels
default=$(extract_kernel "$default_pkg")
list=$default
mkdir -p "$kernels/$default"
cp "kernel-$default/boot/vmlinuz-$default" "$kernels/$default/vmlinuz"
build_initrd "$default" "$modules" "$kernels/$default/initrd.img"
if [ -n "$backports_pkg" ]; then
    new=$(extract_kernel "$backports_pkg")
    mkdir -p "$kernels/$new" "$kernels/broken-$new"
    cp "kernel-$new/boot/vmlinuz-$new" "$kernels/$new/vmlinuz"
    build_initrd "$new" "$modules" "$kernels/$new/initrd.img"
    ln "$kernels/$new/vmlinuz" "$kernels/broken-$new/vmlinuz"
    build_initrd "$new" "$broken_modules" "$kernels/broken-$new/initrd.img"
    list="$list $new broken-$new"
fi

rm -rf "$out/kernels.new" "$out/kernels.old"
cp -a "$kernels" "$out/kernels.new"
[ ! -e "$out/kernels" ] || mv "$out/kernels" "$out/kernels.old"
mv "$out/kernels.new" "$out/kernels"
rm -rf "$out/kernels.old"
# The default at the image's top level, as every VM without a kernel of its own boots it.
ln -f "$out/kernels/$default/vmlinuz" "$out/vmlinuz.new"
ln -f "$out/kernels/$default/initrd.img" "$out/initrd.img.new"
mv "$out/vmlinuz.new" "$out/vmlinuz"
mv "$out/initrd.img.new" "$out/initrd.img"
# The base every root disk is an overlay of: blank, since the guest runs from its initramfs.
rm -f "$out/disk.qcow2"
qemu-img create -q -f qcow2 "$out/disk.qcow2" 1G
printf '{"name": "tiny-linux", "kernel": "%s", "kernels": [%s], "busybox": "%s"}\n' "$default" \
    "$(printf '"%s", ' $list | sed 's/, $//')" "$("$bb" | head -1 | awk '{print $2}')" > "$out/image.json"
echo "$stamp" > "$out/stamp"
echo "built tiny-linux ($list) in $out"
