#!/usr/bin/python3
"""elfmut: structure-aware ELF mutations for fuzz_elf (and for end-to-end runs of fntrace).

    elfmut.py OUTDIR COUNT SEED INPUT...

Writes COUNT mutants of the INPUT files to OUTDIR. Each changes one to three things: a field of
the ELF header, of a program header or of a section header, set to a value chosen to hurt (0, 1,
-1, huge, the file size, a neighbour's value), or bytes inside one of the sections fntrace parses
(.symtab, .strtab, .dynsym, .dynstr, .dynamic, .eh_frame, .eh_frame_hdr, .gopclntab, .init_array,
.rela.dyn...), or a truncation. --data-only leaves code (executable sections) alone."""
import os
import random
import struct
import sys

EH = [('e_type', 16, 2), ('e_machine', 18, 2), ('e_entry', 24, 8), ('e_phoff', 32, 8), ('e_shoff', 40, 8),
      ('e_phentsize', 54, 2), ('e_phnum', 56, 2), ('e_shentsize', 58, 2), ('e_shnum', 60, 2), ('e_shstrndx', 62, 2)]
PH = [(4, 4), (8, 8), (16, 8), (32, 8), (40, 8), (48, 8), (0, 4)]          # flags offset vaddr filesz memsz align type
SH = [(0, 4), (4, 4), (8, 8), (16, 8), (24, 8), (32, 8), (40, 4), (44, 4), (56, 8)]  # name type flags addr offset size link info entsize
TARGETS = {'.symtab', '.strtab', '.dynsym', '.dynstr', '.dynamic', '.eh_frame', '.eh_frame_hdr', '.gopclntab',
           '.init_array', '.fini_array', '.preinit_array', '.rela.dyn', '.rela.plt', '.shstrtab', '.plt',
           '.plt.sec', '.init', '.fini', '.gnu.hash', '.interp'}


def interesting(r, size, width, old):
    mx = (1 << (8 * width)) - 1
    v = r.choice([0, 1, 2, 7, 8, 0x7f, 0x80, 0xff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, mx, mx - 7,
                  size, size - 1, size + 1, size // 2, old + 1, old - 1, old * 2, old ^ (1 << r.randrange(8 * width)),
                  1 << r.randrange(8 * width), r.getrandbits(8 * width)])
    return v & mx


def sections(b):
    shoff, = struct.unpack_from('<Q', b, 40)
    shnum, shstrndx = struct.unpack_from('<HH', b, 60)
    out = []
    if not shoff or shoff + 64 * shnum > len(b):
        return out
    strs = None
    if shstrndx < shnum:
        so, ss = struct.unpack_from('<QQ', b, shoff + 64 * shstrndx + 24)
        strs = b[so:so + ss]
    for i in range(shnum):
        name, typ, flags, addr, off, size = struct.unpack_from('<IIQQQQ', b, shoff + 64 * i)
        nm = ''
        if strs is not None and name < len(strs):
            nm = strs[name:strs.find(b'\0', name)].decode('latin1')
        out.append((i, nm, typ, flags, off, size))
    return out


def mutate(r, b, data_only):
    size = len(b)
    what = r.random()
    if what < 0.06:
        return b[:r.randrange(64, size)]
    if what < 0.2:
        name, off, w = r.choice(EH)
        if data_only and name in ('e_entry', 'e_machine', 'e_type'):
            return b
        old = int.from_bytes(b[off:off + w], 'little')
        b[off:off + w] = interesting(r, size, w, old).to_bytes(w, 'little')
        return b
    if what < 0.4:
        phoff, = struct.unpack_from('<Q', b, 32)
        phnum, = struct.unpack_from('<H', b, 56)
        if not phnum or phoff + 56 * phnum > size:
            return b
        i = r.randrange(phnum)
        off, w = r.choice(PH)
        if data_only:
            typ, flags = struct.unpack_from('<II', b, phoff + 56 * i)
            if typ == 1 or off == 0:   # PT_LOAD moves code; the type changes what is mapped
                return b
        at = phoff + 56 * i + off
        old = int.from_bytes(b[at:at + w], 'little')
        b[at:at + w] = interesting(r, size, w, old).to_bytes(w, 'little')
        return b
    secs = sections(b)
    if not secs:
        return b
    if what < 0.6:
        i, nm, typ, flags, soff, ssize = r.choice(secs)
        if data_only and flags & 4:
            return b
        off, w = r.choice(SH)
        if data_only and off in (16, 24) and flags & 2:   # addr, offset of an allocated section
            return b
        shoff, = struct.unpack_from('<Q', b, 40)
        at = shoff + 64 * i + off
        old = int.from_bytes(b[at:at + w], 'little')
        b[at:at + w] = interesting(r, size, w, old).to_bytes(w, 'little')
        return b
    tg = [s for s in secs if s[1] in TARGETS and s[2] != 8 and s[4] + s[5] <= size and s[5]]
    if data_only:
        tg = [s for s in tg if not s[3] & 4]
    if not tg:
        return b
    i, nm, typ, flags, soff, ssize = r.choice(tg)
    for _ in range(r.choice([1, 1, 2, 4, 16])):
        w = r.choice([1, 1, 2, 4, 8])
        if ssize < w:
            continue
        at = soff + r.randrange(ssize - w + 1)
        if r.random() < 0.5:
            at -= (at - soff) % w
        old = int.from_bytes(b[at:at + w], 'little')
        b[at:at + w] = interesting(r, ssize, w, old).to_bytes(w, 'little')
    return b


def main():
    args = sys.argv[1:]
    data_only = '--data-only' in args
    args = [a for a in args if a != '--data-only']
    outdir, count, seed, inputs = args[0], int(args[1]), int(args[2]), args[3:]
    r = random.Random(seed)
    blobs = [(os.path.basename(p), open(p, 'rb').read()) for p in inputs]
    os.makedirs(outdir, exist_ok=True)
    for n in range(count):
        name, blob = r.choice(blobs)
        b = bytearray(blob)
        for _ in range(r.choice([1, 1, 1, 2, 3])):
            b = mutate(r, b, data_only)
        path = os.path.join(outdir, '%s.%d.%d' % (name, seed, n))
        with open(path, 'wb') as f:
            f.write(b)
        os.chmod(path, 0o755)


if __name__ == '__main__':
    main()
