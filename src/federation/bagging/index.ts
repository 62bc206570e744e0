// Public entry of federated tree rounds for gradient-boosted trees: acceptance step, GBDT adapter and server combiner.
export * from './bagging.js';
export * from './gbdt-adapter.js';
