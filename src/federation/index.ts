// Public entry of federation (herd immunity): strategies, secure aggregation, auth, transport, rounds.
export * from './strategy/index.js';
export * from './secagg/index.js';
export * from './auth/index.js';
export * from './transport/index.js';
export * from './round/index.js';
export * from './node.js';
export { simulate, type SimulateOptions, type GbdtSimulateOptions } from './simulate.js';
export * from './bagging/index.js';
export * from './hist/index.js';
