#!/bin/sh
# The container's entrypoint: runs node with V8's old-generation heap sized from the
# container's memory limit, then the given arguments (the Dockerfile passes dist/cli.js serve).
#
# Node's own default heap limit depends on its version and on whether it can see a cgroup limit:
# Node 24 takes half of a cgroup limit it reads, Node 20 without a visible limit takes a share of
# the machine's memory (4 GiB on a 24 GiB machine). A heap allowed past the container's limit
# grows until the kernel kills the process (OOMKilled) before V8 collects garbage in earnest.
# Stated here, the heap follows the container's limit whatever the Node version, also when the
# limit comes only through the Downward API. The size must be given when node starts
# (--max-old-space-size), so it is decided here, before exec.
#
# The limit: AMKO_MEMORY_LIMIT in bytes (the chart sets it from resources.limits.memory through
# the Downward API), else the cgroup's (v2 memory.max, v1 memory.limit_in_bytes). The heap gets
# half of it; the other half is for what lives outside the heap: the code, the young
# generation (up to 48 MiB), TLS and request buffers, and node itself. Nothing is set without a
# limit, when the half would be under 64 MiB or not below V8's own default of about 4 GiB, or
# when NODE_OPTIONS already sets the heap size.
set -eu

limit="${AMKO_MEMORY_LIMIT:-}"
if [ -z "$limit" ]; then
  if [ -r /sys/fs/cgroup/memory.max ]; then
    limit=$(cat /sys/fs/cgroup/memory.max)
  elif [ -r /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then
    limit=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
  fi
fi

case "${NODE_OPTIONS:-}" in
  *--max-old-space-size* | *--max_old_space_size*) ;;
  *)
    case "$limit" in
      '' | max | *[!0-9]*) ;; # no limit, or not a byte count
      *)
        heap_mib=$((limit / 1048576 / 2))
        if [ "$heap_mib" -ge 64 ] && [ "$heap_mib" -lt 4096 ]; then
          NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--max-old-space-size=$heap_mib"
          export NODE_OPTIONS
        fi
        ;;
    esac
    ;;
esac

exec node "$@"
