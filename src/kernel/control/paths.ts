// Where the committed XDP object and its sources live, found from the compiled module's location.

import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The package root (this module runs from dist/src/kernel/control/). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The folder with the C program, shared header, build script and committed object. */
export const BPF_DIR = join(PACKAGE_ROOT, 'src', 'kernel', 'bpf');
/** The committed compiled XDP object. */
export const OBJECT_PATH = join(BPF_DIR, 'jirachi_xdp.bpf.o');
/** The sources whose hash is recorded beside the object, in hashing order. */
export const OBJECT_SOURCES = ['jirachi_xdp.bpf.c', 'jirachi_shared.h', 'jirachi_parse.h', 'build.sh'] as const;
/** The file holding the sha256 of OBJECT_SOURCES when the object was built. */
export const OBJECT_STAMP = join(BPF_DIR, 'jirachi_xdp.bpf.o.sources.sha256');
