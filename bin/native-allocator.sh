# Sourced by bin/kdedge-calibrate. PyTorch frees its large activation tensors after every training step and allocates
# them again for the next; glibc hands those blocks back to the kernel each time, and faulting the pages in again
# cost about a fifth of an MT-256 training epoch here (86 s vs 66 s with tcmalloc, same loss). tcmalloc keeps freed
# blocks for reuse. Used when installed (Debian/Ubuntu: libtcmalloc-minimal4); KDEDGE_ALLOCATOR=glibc turns it off.
if [ "${KDEDGE_ALLOCATOR:-tcmalloc}" = tcmalloc ]; then
  for tcmalloc in /usr/lib/*-linux-gnu/libtcmalloc_minimal.so.4 /usr/lib/libtcmalloc_minimal.so.4; do
    if [ -e "$tcmalloc" ]; then
      export LD_PRELOAD="$tcmalloc${LD_PRELOAD:+:$LD_PRELOAD}"
      break
    fi
  done
fi
