// Public entry of federated bagging for gradient-boosted trees.
export * from './bagging.js';
