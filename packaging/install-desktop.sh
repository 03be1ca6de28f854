#!/bin/sh
# Install (or remove) the Parallax desktop entry, icons and the .parallax MIME type for the
# current user, following the freedesktop specifications. Needs nothing beyond a POSIX shell;
# xdg-mime, update-mime-database, update-desktop-database and gtk-update-icon-cache are used when
# present and skipped when not.
#
#   packaging/install-desktop.sh [PATH/TO/parallax]   install; Exec points at that program
#   packaging/install-desktop.sh --uninstall           remove what install wrote
#
# Without a path: dist/parallax/parallax when it has been built, else `parallax` on PATH (the
# pip-installed command), else plain `parallax`.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
resources="$here/resources"
data="${XDG_DATA_HOME:-$HOME/.local/share}"
apps="$data/applications"
icons="$data/icons/hicolor"
mime="$data/mime"
sizes="16 32 48 64 128 256"

quiet() { "$@" >/dev/null 2>&1 || true; }
have() { command -v "$1" >/dev/null 2>&1; }

refresh() {
    if have update-desktop-database; then quiet update-desktop-database "$apps"; fi
    if have gtk-update-icon-cache; then quiet gtk-update-icon-cache -f -t "$icons"; fi
    if have update-mime-database; then quiet update-mime-database "$mime"; fi
}

if [ "${1:-}" = "--uninstall" ]; then
    rm -f "$apps/parallax.desktop" "$icons/scalable/apps/parallax.svg"
    for s in $sizes; do rm -f "$icons/${s}x${s}/apps/parallax.png"; done
    if have xdg-mime; then quiet xdg-mime uninstall --mode user "$resources/parallax-mime.xml"; fi
    rm -f "$mime/packages/parallax-mime.xml"
    refresh
    echo "removed the Parallax desktop entry, icons and MIME type from $data"
    exit 0
fi

if [ $# -gt 0 ]; then
    program=$1
elif [ -x "$here/dist/parallax/parallax" ]; then
    program="$here/dist/parallax/parallax"
elif have parallax; then
    program=$(command -v parallax)
else
    program=parallax
fi
if [ "$program" != parallax ]; then
    if [ ! -f "$program" ] || [ ! -x "$program" ]; then
        echo "install-desktop: not an executable: $program" >&2
        exit 1
    fi
    case "$program" in
        /*) ;;
        *) program=$(cd "$(dirname "$program")" && pwd)/$(basename "$program") ;;
    esac
fi

mkdir -p "$apps" "$icons/scalable/apps" "$mime/packages"
for s in $sizes; do
    mkdir -p "$icons/${s}x${s}/apps"
    cp "$resources/icons/parallax-$s.png" "$icons/${s}x${s}/apps/parallax.png"
done
cp "$resources/icons/parallax.svg" "$icons/scalable/apps/parallax.svg"

# Exec takes the program's absolute path as a quoted argument. The desktop entry spec applies
# the string escapes (backslash doubled) before the quoting rule (backslash before " ` $ \), so
# a literal backslash needs four in the file and a reserved character two before it.
quoted=$(printf '%s' "$program" | sed -e 's/\\/\\\\\\\\/g' -e 's/["`$]/\\\\&/g')
try=$(printf '%s' "$program" | sed -e 's/\\/\\\\/g')
while IFS= read -r line; do
    case "$line" in
        "Exec=parallax "*)
            printf 'Exec="%s" %s\n' "$quoted" "${line#Exec=parallax }"
            printf 'TryExec=%s\n' "$try" ;;
        *) printf '%s\n' "$line" ;;
    esac
done < "$resources/parallax.desktop" > "$apps/parallax.desktop.tmp"
mv "$apps/parallax.desktop.tmp" "$apps/parallax.desktop"
chmod 644 "$apps/parallax.desktop"

if have xdg-mime && xdg-mime install --mode user --novendor "$resources/parallax-mime.xml" >/dev/null 2>&1; then
    quiet xdg-mime default parallax.desktop application/x-parallax-session
else
    cp "$resources/parallax-mime.xml" "$mime/packages/parallax-mime.xml"
fi
refresh
printf 'installed %s (Exec: %s), icons in %s, MIME type application/x-parallax-session\n' "$apps/parallax.desktop" "$program" "$icons"
