// Server learning rate: scales the aggregated step (aggregate − global) of any strategy by η_g (FedAvg with server step size).

import type { Aggregate, Strategy } from './types.js';

function scaleStep(global: Float64Array, a: Aggregate, lr: number): Aggregate {
  const out = new Float64Array(global.length);
  for (let i = 0; i < global.length; i++) out[i] = (global[i] as number) + lr * ((a.params[i] as number) - (global[i] as number));
  return { ...a, params: out, info: { ...a.info, serverLr: lr } };
}

/**
 * Wraps `inner` so the next global model is global + `lr`·(inner's aggregate − global) (Reddi et al.'s
 * server step size η_g; `lr` = 1 is `inner` unchanged). With K equally sized clients each running the
 * same local epochs, FedAvg's step is about 1/K of one central pass over the union, so η_g ≈ K
 * restores the central step. Keeps `fromMean` (linearity) when `inner` has it. Throws if `lr` is not
 * a positive finite number (a configuration bug).
 */
export function withServerLr(inner: Strategy, lr: number): Strategy {
  if (!(Number.isFinite(lr) && lr > 0)) throw new Error(`server learning rate must be a positive number, got ${lr}`);
  if (lr === 1) return inner;
  const fm = inner.fromMean;
  return {
    name: inner.name,
    configureRound: (b) => inner.configureRound(b),
    aggregate(global, updates) {
      const a = inner.aggregate(global, updates);
      return a ? scaleStep(global, a, lr) : null;
    },
    ...(fm ? { fromMean: (g: Float64Array, mean: Float64Array, nodes: readonly string[]) => scaleStep(g, fm.call(inner, g, mean, nodes), lr) } : {}),
  };
}
