#!/usr/bin/env bash
# Base images for the containers. For each of PYTHON_IMAGE, UV_IMAGE, NODE_IMAGE,
# POSTGRES_IMAGE and REDIS_IMAGE: the value from the environment, else the official default
# when it is present or can be pulled, else a local stand-in built from Debian packages
# (debootstrap --variant=minbase bookworm → docker import, then deploy/standins/Dockerfile).
# Stand-ins are kept in the local image store and reused while their recipe is unchanged.
# Prints `NAME=image` lines (for compose's --env-file); progress goes to stderr.
set -euo pipefail
shopt -s inherit_errexit  # a failed step inside $(...) fails the script too
cd "$(dirname "$0")/.."

log() { echo "base-images: $*" >&2; }
# A step's own output, shown only when it fails.
quietly() {
  local out
  out=$(mktemp)
  if ! "$@" >"$out" 2>&1; then tail -n 40 "$out" >&2; rm -f "$out"; return 1; fi
  rm -f "$out"
}

# The official defaults live once: build args in the Dockerfile, the servers in compose.
default_of() {
  local name=$1 value
  value=$(sed -n "s/^ARG $name=//p" Dockerfile | head -n1)
  [ -n "$value" ] || value=$(grep -o "\${$name:-[^}]*}" docker-compose.yml | head -n1 | sed 's/.*:-//; s/}$//')
  [ -n "$value" ] || { log "no default for $name"; exit 1; }
  echo "$value"
}

available() {
  docker image inspect "$1" >/dev/null 2>&1 && return 0
  timeout 120 docker pull -q "$1" >/dev/null 2>&1
}

RECIPE=$(cat scripts/base-images.sh deploy/standins/* | sha256sum | cut -c1-16)
BASE=seg-standin/debian:bookworm

fresh() {  # an image built from the current recipe exists
  [ "$(docker image inspect -f '{{ index .Config.Labels "seg.recipe" }}' "$1" 2>/dev/null)" = "$RECIPE" ]
}

debian_mirror() {
  if [ -n "${DEBIAN_MIRROR:-}" ]; then echo "$DEBIAN_MIRROR"; return; fi
  local uri
  uri=$( (grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources || true) | awk '{print $2}' \
         | grep -v security | head -n1)
  [ -n "$uri" ] || uri=$( (grep -hs '^deb ' /etc/apt/sources.list || true) | awk '{print $2}' \
                          | grep -v security | head -n1)
  [ -n "$uri" ] || { log "no Debian mirror in the apt sources: set DEBIAN_MIRROR"; exit 1; }
  echo "$uri"
}

build_base() {
  fresh "$BASE" && return
  command -v debootstrap >/dev/null 2>&1 || {
    log "installing debootstrap"
    apt-get install -y -qq debootstrap >/dev/null 2>&1 \
      || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
  }
  local root
  root=$(mktemp -d /var/tmp/seg-rootfs.XXXXXX)
  log "debootstrap bookworm (minbase) from $(debian_mirror)"
  quietly debootstrap --variant=minbase --include=ca-certificates bookworm "$root" "$(debian_mirror)"
  # Trust what the host trusts (e.g. a TLS-inspecting proxy's CA), so builds reach PyPI/npm.
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
    quietly chroot "$root" update-ca-certificates
  fi
  # Slim like the official -slim images: no documentation or translations, now or later.
  printf 'path-exclude %s\n' '/usr/share/doc/*' '/usr/share/man/*' '/usr/share/info/*' \
    '/usr/share/locale/*' > "$root/etc/dpkg/dpkg.cfg.d/slim"
  printf 'path-include %s\n' '/usr/share/doc/*/copyright' '/usr/share/locale/locale.alias' \
    >> "$root/etc/dpkg/dpkg.cfg.d/slim"
  find "$root"/usr/share/doc "$root"/usr/share/man "$root"/usr/share/info "$root"/usr/share/locale \
    -mindepth 1 -not -name copyright -not -name locale.alias -not -type d -delete
  # No apt caches left in layers either (as in the official Debian images).
  printf '%s\n' 'Dir::Cache::pkgcache "";' 'Dir::Cache::srcpkgcache "";' \
    'APT::Keep-Downloaded-Packages "false";' > "$root/etc/apt/apt.conf.d/docker-clean"
  rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import \
    --change "LABEL seg.recipe=$RECIPE" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'CMD ["bash"]' - "$BASE" >/dev/null
  rm -rf "$root"
}

build_uv() {  # the official image is /uv and /uvx in an empty image; take them from PyPI
  local image=$1 version=${2##*:} dir
  dir=$(mktemp -d)
  quietly python3 -m pip download --no-deps --only-binary=:all: "uv==$version" -d "$dir"
  (cd "$dir" && python3 -m zipfile -e uv-*.whl wheel)
  cp "$dir"/wheel/uv-*.data/scripts/uv "$dir"/wheel/uv-*.data/scripts/uvx "$dir"/
  chmod 755 "$dir/uv" "$dir/uvx"
  tar -C "$dir" -c uv uvx | docker import --change "LABEL seg.recipe=$RECIPE" - "$image" >/dev/null
  rm -rf "$dir"
}

build_stage() {  # one stage of deploy/standins/Dockerfile
  local image=$1 stage=$2 ctx
  ctx=$(mktemp -d)
  cp deploy/standins/* "$ctx/"
  mkdir -p "$ctx/node"
  if [ "$stage" = node ] && command -v node >/dev/null 2>&1 \
     && [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]; then
    mkdir -p "$ctx/node/bin" "$ctx/node/lib/node_modules"
    cp "$(command -v node)" "$ctx/node/bin/node"
    cp -r "$(npm root -g)/npm" "$ctx/node/lib/node_modules/npm"
  fi
  quietly docker build --network host --target "$stage" --build-arg "BASE_IMAGE=$BASE" \
    --label "seg.recipe=$RECIPE" -t "$image" "$ctx"
  rm -rf "$ctx"
}

standin() {
  local name=$1 official=$2 image previous
  image="seg-standin/${official##*/}"
  image=${image%-alpine}
  if fresh "$image"; then echo "$image"; return; fi
  log "$official can't be pulled: building the stand-in $image"
  previous=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  case "$name" in
    UV_IMAGE) build_uv "$image" "$official" ;;
    *) build_base; build_stage "$image" "$(echo "${name%_IMAGE}" | tr 'A-Z' 'a-z')" ;;
  esac
  # The stand-in it replaces, unless images built on it still need it.
  if [ -n "$previous" ]; then docker image rm "$previous" >/dev/null 2>&1 || true; fi
  echo "$image"
}

for name in PYTHON_IMAGE UV_IMAGE NODE_IMAGE POSTGRES_IMAGE REDIS_IMAGE; do
  official=$(default_of "$name")
  if [ -n "${!name:-}" ]; then
    echo "$name=${!name}"
  elif available "$official"; then
    echo "$name=$official"
  else
    image=$(standin "$name" "$official")
    echo "$name=$image"
  fi
done
