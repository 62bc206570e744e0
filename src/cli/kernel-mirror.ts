// Opens the kernel blocklist (pinned BPF maps) for the shield when the config enables it.

import type { ShieldConfig } from '../config/index.js';
import { err, type Result } from '../core/index.js';
import type { BlocklistBackend } from '../decisions/index.js';

/**
 * Opens the kernel backend. The control plane (FFI code) is imported only when the config enables
 * the kernel, so a shield without it never loads native code. Never rejects.
 */
export async function kernelFor(cfg: ShieldConfig): Promise<Result<BlocklistBackend, string>> {
  try {
    const k = await import('../kernel/control/index.js');
    return k.openKernelBlocklist({ pinDir: cfg.kernel.pinDir });
  } catch (e) {
    return err(`unavailable: ${(e as Error).message.split('\n')[0]}`);
  }
}
