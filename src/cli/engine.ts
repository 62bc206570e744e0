// Builds the detection engine for the shield and explain commands from a config's detection block.

import type { ShieldConfig } from '../config/index.js';
import { err, ok, type Detector, type Result } from '../core/index.js';
import { createEngine } from '../detect/index.js';

/** Creates the engine a config asks for; a bad model file is an error value, not a crash. */
export function engineFor(cfg: Pick<ShieldConfig, 'detection'>): Result<Detector, string> {
  try {
    return ok(createEngine({
      ...(cfg.detection.modelPath !== undefined ? { modelPath: cfg.detection.modelPath } : {}),
      disableModel: cfg.detection.disableModel,
      ...(cfg.detection.modelThreshold !== undefined ? { modelThreshold: cfg.detection.modelThreshold } : {}),
    }));
  } catch (e) {
    return err((e as Error).message.split('\n')[0] ?? 'failed to load');
  }
}
