#!/usr/bin/env bash
# The registry-free base: a Debian root with Python 3, built with debootstrap from the machine's
# own Debian mirror and imported into the local engine, for machines that cannot pull images.
#
#   docker/local-base/build-local-base.sh            # -> image sluice/debian-python:bookworm
#
# The root filesystem tarball is cached outside the repository (SLUICE_CACHE_DIR, default
# ~/.cache/sluice), so CI builds it once per machine; the image is re-imported from the cache
# when the engine lacks it. Needs root (debootstrap) and a running Docker engine.
set -euo pipefail

SUITE=${SUITE:-bookworm}
IMAGE=${LOCAL_BASE_IMAGE:-sluice/debian-python:${SUITE}}
CACHE_DIR=${SLUICE_CACHE_DIR:-${HOME}/.cache/sluice}
TARBALL="${CACHE_DIR}/debian-${SUITE}-python-rootfs.tar"
DOCKER=${DOCKER:-docker}

# The mirror the machine's apt already uses (deb822 or one-line sources), else Debian's CDN.
mirror() {
  local uri
  uri=$(grep -hoE '^(URIs:|deb) +[^ ]+' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
    | grep -v security | head -n1 | awk '{print $2}' || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

if "${DOCKER}" image inspect "${IMAGE}" >/dev/null 2>&1; then
  echo "local base ${IMAGE} is present"
  exit 0
fi

mkdir -p "${CACHE_DIR}"
if [[ ! -s "${TARBALL}" ]]; then
  command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
  root=$(mktemp -d "${CACHE_DIR}/rootfs.XXXXXX")
  trap 'rm -rf "${root}"' EXIT
  echo "debootstrap ${SUITE} from $(mirror) (a few minutes, once per machine)"
  debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
    "${SUITE}" "${root}" "$(mirror)" >"${CACHE_DIR}/debootstrap.log" 2>&1 \
    || { tail -n 30 "${CACHE_DIR}/debootstrap.log" >&2; exit 1; }
  # Keep the image small: no apt lists, caches, docs or man pages.
  rm -rf "${root}"/var/lib/apt/lists/* "${root}"/var/cache/apt/* "${root}"/usr/share/doc/* "${root}"/usr/share/man/* "${root}"/usr/share/locale/*
  tar -C "${root}" --numeric-owner -cf "${TARBALL}.partial" .
  mv "${TARBALL}.partial" "${TARBALL}"
fi
"${DOCKER}" import \
  --change 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["python3"]' \
  "${TARBALL}" "${IMAGE}" >/dev/null
echo "imported ${IMAGE} from ${TARBALL}"
