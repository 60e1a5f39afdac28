#!/usr/bin/python3
"""Writes a static x86-64 executable with N executable sections (default 20000), each holding
one function with its own symbol, for the start-up scale benchmark: a file of many sections and
many symbols is what made start-up quadratic (every symbol looked up in every section, every
section's breakpoints found by a walk of every function). The sections lie 512 bytes apart, too
far for fntrace to join them into one range of code. The entry calls f1 and f2, then exits.
With --dynsym the symbols are in a .dynsym and there is no .symtab: the file counts as
stripped, and discovery reads all its code too. With --compact only the entry's code is in the
file (the rest of the segment is zeros, as .bss is) and the entry only exits: the file is then
mostly section headers and symbols, about 100 bytes per function (an 11 MB file for 115,000).
Past 65,279 sections the file uses extended section numbering (SHN_XINDEX, SHT_SYMTAB_SHNDX).

    bench/manysections.py [--dynsym] [--compact] N OUT
"""
import struct
import sys

args = sys.argv[1:]
dynsym = "--dynsym" in args
compact = "--compact" in args
args = [a for a in args if a not in ("--dynsym", "--compact")]
n = int(args[0]) if args else 20000
out = args[1] if len(args) > 1 else "manysections"
BASE, CODE_OFF, STEP = 0x400000, 0x1000, 512

code = bytearray()
for i in range(n):
    fn = bytearray()
    if i == 0 and not compact:
        at = BASE + CODE_OFF
        for target in (1, 2):
            rel = BASE + CODE_OFF + target * STEP - (at + len(fn) + 5)
            fn += b"\xe8" + struct.pack("<i", rel)          # call f<target>
    if i == 0:
        fn += b"\xb8\x3c\x00\x00\x00\x31\xff\x0f\x05"          # exit(0)
    else:
        fn += b"\xc3"                                        # ret
    code += fn.ljust(STEP, b"\xcc" if i else b"\x90")
    if compact:
        break
memsz = n * STEP

big = n + 5 >= 0xff00   # more sections than e_shnum and st_shndx hold: extended numbering
# With extended numbering, section 0xffff (SHN_XINDEX itself) is a data section, so a reader
# that takes a symbol's st_shndx of 0xffff at its word finds no code there.
XDATA = 0xffff


def sec_index(i):
    return 1 + i + (big and 1 + i >= XDATA)
strtab = bytearray(b"\0")
syms = bytearray(b"\0" * 24)
xndx = bytearray(b"\0" * 4)
for i in range(n):
    name = strtab.__len__()
    strtab += f"f{i}".encode() + b"\0"
    syms += struct.pack("<IBBHQQ", name, 0x12, 0, 0xffff if big else sec_index(i),   # GLOBAL FUNC
                        BASE + CODE_OFF + i * STEP, 16)
    xndx += struct.pack("<I", sec_index(i))
shstr = b"\0.text\0.symtab\0.strtab\0.shstrtab\0.symtab_shndx\0"

off = CODE_OFF + len(code)
sym_off = (off + 7) & ~7
str_off = sym_off + len(syms)
shs_off = str_off + len(strtab)
xndx_off = (shs_off + len(shstr) + 7) & ~7
sh_off = (xndx_off + (len(xndx) if big else 0) + 7) & ~7
nsh = 1 + n + 3 + 2 * big
shstrndx = nsh - 1 - big

ehdr = struct.pack("<4sBBBBB7sHHIQQQIHHHHHH", b"\x7fELF", 2, 1, 1, 0, 0, b"\0" * 7, 2, 62, 1,
                   BASE + CODE_OFF, 64, sh_off, 0, 64, 56, 1, 64, 0 if big else nsh,
                   0xffff if big else shstrndx)
phdr = struct.pack("<IIQQQQQQ", 1, 5, CODE_OFF, BASE + CODE_OFF, BASE + CODE_OFF, len(code), memsz, 0x1000)

# Section 0 holds the real count and string table index when they do not fit.
shdrs = bytearray(struct.pack("<IIQQQQIIQQ", 0, 0, 0, 0, 0, nsh if big else 0, shstrndx if big else 0, 0, 0, 0))
for i in range(n):   # .text, SHT_PROGBITS, SHF_ALLOC|SHF_EXECINSTR
    if big and sec_index(i) == XDATA + 1:   # the data section: SHF_ALLOC only
        shdrs += struct.pack("<IIQQQQIIQQ", 0, 1, 2, 0, CODE_OFF, 16, 0, 0, 1, 0)
    shdrs += struct.pack("<IIQQQQIIQQ", 1, 1, 6, BASE + CODE_OFF + i * STEP,
                          CODE_OFF + (0 if compact else i * STEP), 16, 0, 0, 16, 0)
symtab = len(shdrs) // 64
shdrs += struct.pack("<IIQQQQIIQQ", 7, 11 if dynsym else 2, 0, 0, sym_off, len(syms), symtab + 1, 1, 8, 24)
shdrs += struct.pack("<IIQQQQIIQQ", 15, 3, 0, 0, str_off, len(strtab), 0, 0, 1, 0)
shdrs += struct.pack("<IIQQQQIIQQ", 23, 3, 0, 0, shs_off, len(shstr), 0, 0, 1, 0)
if big:   # SHT_SYMTAB_SHNDX, for the symbol table
    shdrs += struct.pack("<IIQQQQIIQQ", 33, 18, 0, 0, xndx_off, len(xndx), symtab, 0, 4, 4)
assert len(shdrs) // 64 == nsh

img = bytearray(ehdr + phdr)
img = img.ljust(CODE_OFF, b"\0") + code
img = img.ljust(sym_off, b"\0") + syms + strtab + shstr
if big:
    img = img.ljust(xndx_off, b"\0") + xndx
img = img.ljust(sh_off, b"\0") + shdrs
with open(out, "wb") as f:
    f.write(img)
