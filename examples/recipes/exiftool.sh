#!/usr/bin/env bash
# Catalog answers into the images' own metadata (XMP title, description, keywords), where photo
# managers (Lightroom, darktable, digiKam, Bridge) and file browsers show and search them.
#
#   examples/recipes/exiftool.sh sidecars CATALOG [photo.jpg.xmp|photo.xmp]
#   examples/recipes/exiftool.sh embed    CATALOG DIR
#   examples/recipes/exiftool.sh show     DIR_OR_FILE
#   examples/recipes/exiftool.sh undo     DIR
#
# Run it in the folder the catalog run started in: a catalog's SourceFile paths are relative to
# that folder, and exiftool matches the CSV's SourceFile against the paths it walks.
#
# Which answers go where: a structured job's title/caption field becomes XMP-dc:Title, its
# description/summary/caption field XMP-dc:Description, its tags/keywords/subjects/objects lists
# XMP-dc:Subject (and `a|b|c` tags XMP-lr:HierarchicalSubject); a text job's answer becomes the
# description. XMP-photoshop:Instructions records that the text is machine-written and unreviewed.
# `glm-vision xmp --help` shows how to choose other fields (--title, --description, --keywords).
#
# exiftool: https://exiftool.org (Debian/Ubuntu: apt-get install libimage-exiftool-perl).
set -euo pipefail

GLM_VISION=${GLM_VISION:-glm-vision}

usage() {
  sed -n '5,8p' "$0" | sed 's/^# *//' >&2
  exit 2
}

[[ $# -ge 2 ]] || usage
mode=$1

case $mode in
  sidecars)
    # Leaves the images alone: writes photo.jpg.xmp (darktable, digiKam; the default) or photo.xmp
    # (Lightroom, Bridge) beside each image, merging into a sidecar that is already there and
    # keeping a title or description someone else wrote (add --overwrite to replace them).
    catalog=$2
    name=${3:-photo.jpg.xmp}
    "$GLM_VISION" xmp "$catalog" --sidecars --sidecar-name "$name"
    ;;
  embed)
    # Writes into the image files. exiftool keeps each original as FILE_original (`undo` puts them
    # back; `exiftool -delete_original! -r DIR` drops them once you are happy). Empty cells are
    # skipped, so an image keeps a title it already has when the catalog has none.
    # One step instead of two: glm-vision catalog DIR --prompt archive --format exiftool -o tags.csv …
    [[ $# -eq 3 ]] || usage
    catalog=$2
    dir=$3
    csv=$(mktemp "${TMPDIR:-/tmp}/glm-vision-xmp.XXXXXX")
    trap 'rm -f "$csv"' EXIT
    "$GLM_VISION" xmp "$catalog" --csv -o "$csv"
    # -sep '; ' splits the CSV's "a; b" lists into separate keywords; -r walks subfolders.
    exiftool -csv="$csv" -sep '; ' -r "$dir"
    ;;
  show)
    exiftool -r -G1 -XMP-dc:Title -XMP-dc:Description -XMP-dc:Subject -XMP-lr:HierarchicalSubject \
      -XMP-photoshop:Instructions "$2"
    ;;
  undo)
    exiftool -restore_original -r "$2"
    ;;
  *)
    usage
    ;;
esac
