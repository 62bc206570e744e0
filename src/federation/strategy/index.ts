// Public entry of federation strategies: the Strategy seam, registry, robust aggregators and the DP wrapper.
export * from './types.js';
export * from './vector.js';
export { registerStrategy, createStrategy, strategyNames, fedAvg, fedAvgCoord, coordinateWeightedMean, fedProx, fedAdam, median, trimmedMean, krum, type StrategyFactory } from './strategies.js';
export * from './dp.js';
export { withServerLr } from './server-lr.js';
