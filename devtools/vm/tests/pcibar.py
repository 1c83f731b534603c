#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Read and write a PCI BAR from user space, the way a VFIO PMD maps it.

Runs inside a test guest (python3 of the host root, standard library only).

  pcibar.py info BDF                   VFIO regions and interrupts of BDF
  pcibar.py dma BDF [MIB]              map MIB (default 2) of anonymous memory
                                       for DMA at IOVA = its virtual address
  pcibar.py write BDF BAR OFFSET TEXT  write TEXT (UTF-8) at OFFSET
  pcibar.py read BDF BAR OFFSET LEN    print LEN bytes at OFFSET
  pcibar.py peek BDF BAR OFFSET        print the 32-bit register at OFFSET
  pcibar.py wait BDF BAR OFFSET TEXT SECONDS
                                       poll until TEXT is at OFFSET

Access goes through VFIO (device bound to vfio-pci: container, type 1
IOMMU, group, device fd, region mmap) or, with --sysfs, through
/sys/bus/pci/devices/BDF/resourceN (device bound to no driver).
Exit status: 0 done, 1 check failed or timed out, 2 usage or system error.
"""

import argparse
import ctypes
import fcntl
import mmap
import os
import struct
import sys
import time

# <linux/vfio.h>: _IO(VFIO_TYPE, VFIO_BASE + n), VFIO_TYPE ';', VFIO_BASE 100.
def _vfio_io(n):
    return (ord(';') << 8) | (100 + n)

VFIO_GET_API_VERSION = _vfio_io(0)
VFIO_CHECK_EXTENSION = _vfio_io(1)
VFIO_SET_IOMMU = _vfio_io(2)
VFIO_GROUP_GET_STATUS = _vfio_io(3)
VFIO_GROUP_SET_CONTAINER = _vfio_io(4)
VFIO_GROUP_GET_DEVICE_FD = _vfio_io(6)
VFIO_DEVICE_GET_INFO = _vfio_io(7)
VFIO_DEVICE_GET_REGION_INFO = _vfio_io(8)
VFIO_DEVICE_GET_IRQ_INFO = _vfio_io(9)
VFIO_IOMMU_MAP_DMA = _vfio_io(13)
VFIO_IOMMU_UNMAP_DMA = _vfio_io(14)
VFIO_DMA_MAP_FLAG_READ_WRITE = 3
VFIO_API_VERSION = 0
VFIO_TYPE1_IOMMU = 1
VFIO_GROUP_FLAGS_VIABLE = 1
VFIO_REGION_INFO_FLAG_MMAP = 4
IRQ_NAMES = ("INTx", "MSI", "MSI-X", "ERR", "REQ")

# struct vfio_region_info: argsz flags index cap_offset (u32), size offset (u64)
REGION_INFO = struct.Struct("=IIIIQQ")
# struct vfio_irq_info: argsz flags index count (u32)
IRQ_INFO = struct.Struct("=IIII")
# struct vfio_device_info up to num_irqs: argsz flags num_regions num_irqs
DEVICE_INFO = struct.Struct("=IIII")
# struct vfio_iommu_type1_dma_map: argsz flags (u32), vaddr iova size (u64)
DMA_MAP = struct.Struct("=IIQQQ")
# struct vfio_iommu_type1_dma_unmap: argsz flags (u32), iova size (u64)
DMA_UNMAP = struct.Struct("=IIQQ")


class Vfio:
    """A VFIO container holding the group of one device, and the device."""

    def __init__(self, bdf):
        group = os.path.basename(os.readlink(f"/sys/bus/pci/devices/{bdf}/iommu_group"))
        self.container = os.open("/dev/vfio/vfio", os.O_RDWR)
        version = fcntl.ioctl(self.container, VFIO_GET_API_VERSION)
        if version != VFIO_API_VERSION:
            raise OSError(f"VFIO API version {version}, expected {VFIO_API_VERSION}")
        if not fcntl.ioctl(self.container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU):
            raise OSError("VFIO type 1 IOMMU not supported")
        self.group = os.open(f"/dev/vfio/{group}", os.O_RDWR)
        status = bytearray(struct.pack("=II", 8, 0))
        fcntl.ioctl(self.group, VFIO_GROUP_GET_STATUS, status)
        if not struct.unpack("=II", status)[1] & VFIO_GROUP_FLAGS_VIABLE:
            raise OSError(f"VFIO group {group} not viable (all its devices must be bound to vfio-pci)")
        fcntl.ioctl(self.group, VFIO_GROUP_SET_CONTAINER, bytearray(struct.pack("=i", self.container)))
        fcntl.ioctl(self.container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU)
        self.device = fcntl.ioctl(self.group, VFIO_GROUP_GET_DEVICE_FD, bytearray(bdf.encode() + b"\0"))
        print(f"vfio: {bdf} group {group}, type 1 IOMMU set, device fd {self.device}")

    def device_info(self):
        buf = bytearray(DEVICE_INFO.pack(DEVICE_INFO.size, 0, 0, 0))
        fcntl.ioctl(self.device, VFIO_DEVICE_GET_INFO, buf)
        _, flags, nregions, nirqs = DEVICE_INFO.unpack(buf)
        return flags, nregions, nirqs

    def region(self, index):
        buf = bytearray(REGION_INFO.pack(REGION_INFO.size, 0, index, 0, 0, 0))
        fcntl.ioctl(self.device, VFIO_DEVICE_GET_REGION_INFO, buf)
        _, flags, _, _, size, offset = REGION_INFO.unpack(buf)
        return flags, size, offset

    def irq(self, index):
        buf = bytearray(IRQ_INFO.pack(IRQ_INFO.size, 0, index, 0))
        fcntl.ioctl(self.device, VFIO_DEVICE_GET_IRQ_INFO, buf)
        _, flags, _, count = IRQ_INFO.unpack(buf)
        return flags, count

    def dma_map(self, vaddr, iova, size):
        buf = bytearray(DMA_MAP.pack(DMA_MAP.size, VFIO_DMA_MAP_FLAG_READ_WRITE, vaddr, iova, size))
        fcntl.ioctl(self.container, VFIO_IOMMU_MAP_DMA, buf)

    def dma_unmap(self, iova, size):
        buf = bytearray(DMA_UNMAP.pack(DMA_UNMAP.size, 0, iova, size))
        fcntl.ioctl(self.container, VFIO_IOMMU_UNMAP_DMA, buf)

    def map(self, bar):
        flags, size, offset = self.region(bar)
        if not flags & VFIO_REGION_INFO_FLAG_MMAP:
            raise OSError(f"VFIO region {bar} is not mmap-able (flags {flags:#x})")
        return mmap.mmap(self.device, size, mmap.MAP_SHARED,
                         mmap.PROT_READ | mmap.PROT_WRITE, offset=offset)


def map_sysfs(bdf, bar):
    path = f"/sys/bus/pci/devices/{bdf}/resource{bar}"
    fd = os.open(path, os.O_RDWR | os.O_SYNC)
    try:
        return mmap.mmap(fd, os.fstat(fd).st_size, mmap.MAP_SHARED,
                         mmap.PROT_READ | mmap.PROT_WRITE)
    finally:
        os.close(fd)


def open_bar(args):
    if args.sysfs:
        return map_sysfs(args.bdf, args.bar)
    return Vfio(args.bdf).map(args.bar)


def cmd_info(args):
    vfio = Vfio(args.bdf)
    _, nregions, nirqs = vfio.device_info()
    for i in range(min(nregions, 6)):
        flags, size, _ = vfio.region(i)
        if size:
            print(f"region {i}: size {size} flags {flags:#x}")
    for i in range(min(nirqs, len(IRQ_NAMES))):
        try:
            flags, count = vfio.irq(i)
        except OSError:  # ERR and REQ exist only on some devices
            continue
        print(f"irq {IRQ_NAMES[i]}: count {count} flags {flags:#x}")
    return 0


def cmd_dma(args):
    vfio = Vfio(args.bdf)
    size = args.mib << 20
    mem = mmap.mmap(-1, size, mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    vaddr = ctypes.addressof(ctypes.c_char.from_buffer(mem))
    try:
        vfio.dma_map(vaddr, vaddr, size)
    except OSError as e:
        print(f"dma: mapping {size} bytes at IOVA {vaddr:#x} = VA failed: {e}")
        return 1
    vfio.dma_unmap(vaddr, size)
    print(f"dma: mapped and unmapped {size} bytes at IOVA {vaddr:#x} = VA")
    return 0


def cmd_write(args):
    bar = open_bar(args)
    data = args.text.encode()
    bar[args.offset:args.offset + len(data)] = data
    print(f"wrote {len(data)} bytes at BAR{args.bar}+{args.offset:#x} of {len(bar)}")
    return 0


def cmd_read(args):
    bar = open_bar(args)
    sys.stdout.write(bar[args.offset:args.offset + args.len].decode(errors="replace") + "\n")
    return 0


def cmd_peek(args):
    bar = open_bar(args)
    print(struct.unpack_from("<I", bar, args.offset)[0])
    return 0


def cmd_wait(args):
    bar = open_bar(args)
    data = args.text.encode()
    deadline = time.monotonic() + args.seconds
    while bar[args.offset:args.offset + len(data)] != data:
        if time.monotonic() > deadline:
            print(f"timeout: {args.text!r} not at BAR{args.bar}+{args.offset:#x}")
            return 1
        time.sleep(0.05)
    print(f"found {args.text!r} at BAR{args.bar}+{args.offset:#x}")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sysfs", action="store_true",
                   help="map sysfs resourceN instead of the VFIO region")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("info")
    s.add_argument("bdf")
    s.set_defaults(func=cmd_info)
    s = sub.add_parser("dma")
    s.add_argument("bdf")
    s.add_argument("mib", type=int, nargs="?", default=2)
    s.set_defaults(func=cmd_dma)
    for name, func in (("write", cmd_write), ("read", cmd_read), ("wait", cmd_wait),
                       ("peek", cmd_peek)):
        s = sub.add_parser(name)
        s.add_argument("bdf")
        s.add_argument("bar", type=int, choices=range(6))
        s.add_argument("offset", type=lambda v: int(v, 0))
        if name == "read":
            s.add_argument("len", type=lambda v: int(v, 0))
        elif name != "peek":
            s.add_argument("text")
        if name == "wait":
            s.add_argument("seconds", type=float)
        s.set_defaults(func=func)
    args = p.parse_args()
    try:
        return args.func(args)
    except OSError as e:
        print(f"pcibar: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
