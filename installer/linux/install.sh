#!/bin/sh
# Install webR Desktop for this user (no root): the app into ~/.local/lib/webr-desktop, a
# command in ~/.local/bin, and the menu entry, icons and metainfo under ~/.local/share.
#   ./install.sh              install (or update)
#   ./install.sh --uninstall  remove what install.sh put there
# PREFIX=/some/where ./install.sh installs under another prefix instead of ~/.local.
set -eu
APP_ID=io.github.webrdesktop.WebRDesktop
NAME=webr-desktop
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-"$HOME/.local"}
LIB="$PREFIX/lib/$NAME"
BIN="$PREFIX/bin"
SHARE="$PREFIX/share"
ICON_SIZES="48 64 128 256 512"

refresh_caches() {
    command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$SHARE/applications" || true
    command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" || true
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -rf "$LIB"
    [ -L "$BIN/$NAME" ] && rm -f "$BIN/$NAME"
    rm -f "$SHARE/applications/$APP_ID.desktop" "$SHARE/metainfo/$APP_ID.metainfo.xml" \
          "$SHARE/icons/hicolor/scalable/apps/$APP_ID.svg"
    for s in $ICON_SIZES; do rm -f "$SHARE/icons/hicolor/${s}x${s}/apps/$APP_ID.png"; done
    refresh_caches
    echo "webR Desktop removed from $PREFIX"
    exit 0
fi

mkdir -p "$PREFIX/lib" "$BIN" "$SHARE/applications" "$SHARE/metainfo"
# Copy beside the old install, then swap, so an interrupted update leaves a working app.
rm -rf "$LIB.new"
cp -a "$HERE/app" "$LIB.new"
rm -rf "$LIB.old"
[ -e "$LIB" ] && mv "$LIB" "$LIB.old"
mv "$LIB.new" "$LIB"
rm -rf "$LIB.old"
ln -sfn "$LIB/$NAME" "$BIN/$NAME"
cp -a "$HERE/share/icons" "$SHARE/"
cp "$HERE/share/metainfo/$APP_ID.metainfo.xml" "$SHARE/metainfo/"
# Exec= absolute: ~/.local/bin is often not on the PATH a desktop session starts menus with.
sed -e "s|^Exec=$NAME |Exec=$LIB/$NAME |" -e "s|^TryExec=$NAME\$|TryExec=$LIB/$NAME|" \
    "$HERE/share/applications/$APP_ID.desktop" > "$SHARE/applications/$APP_ID.desktop"
refresh_caches
echo "webR Desktop installed in $LIB"
echo "Start it from the applications menu, or run: $BIN/$NAME"
