#!/usr/bin/env python3
"""Disassembles one method's JIT code from a HotSpot log made without the hsdis library.

Without hsdis, -XX:CompileCommand=print writes each compiled method's code as hex words; this script takes the
last (or the N-th) compilation of the given tier, writes its bytes to a file and runs objdump on them.

    JLLM_JAVA_OPTS="-XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,dev.jllm.core.linalg.GemmKernel::multiplyAdd" \
        ./jllm bench-kernels --types Q8_0 -t 1 --sizes 4096x4096 > /tmp/print.txt 2>&1
    tools/jit-disasm/disasm.py /tmp/print.txt c2 > /tmp/multiplyAdd.s
"""
import re
import subprocess
import sys
import tempfile

HEX_LINE = re.compile(r'\s+0x([0-9a-f]+): ((?:[0-9a-f]{2,8}\s*\|?\s*)+)$')


def compilations(lines):
    """Each 'Compiled method' header with the code bytes printed under it, gaps filled with nops."""
    found = []
    current = None
    for line in lines:
        if line.startswith('Compiled method'):
            current = {'head': line, 'code': bytearray(), 'start': None}
            found.append(current)
            continue
        match = HEX_LINE.match(line) if current is not None else None
        if not match:
            continue
        try:
            chunk = bytes.fromhex(re.sub(r'[\s|]', '', match.group(2)))
        except ValueError:
            continue
        address = int(match.group(1), 16)
        if current['start'] is None:
            current['start'] = address
        expected = current['start'] + len(current['code'])
        if address < expected:
            continue
        current['code'] += b'\x90' * (address - expected) + chunk
    return found


def main():
    if len(sys.argv) < 2:
        sys.exit('usage: disasm.py PRINT_LOG [c1|c2] [INDEX]')
    tier = sys.argv[2] if len(sys.argv) > 2 else 'c2'
    index = int(sys.argv[3]) if len(sys.argv) > 3 else -1
    with open(sys.argv[1]) as f:
        chosen = [c for c in compilations(f.read().split('\n')) if '(%s)' % tier in c['head']]
    if not chosen:
        sys.exit('no %s compilation in %s' % (tier, sys.argv[1]))
    method = chosen[index]
    print(method['head'], file=sys.stderr)
    with tempfile.NamedTemporaryFile(suffix='.bin') as code:
        code.write(method['code'])
        code.flush()
        subprocess.run(['objdump', '-D', '-b', 'binary', '-mi386:x86-64',
                        '--adjust-vma=0x%x' % method['start'], code.name], check=True)


if __name__ == '__main__':
    main()
