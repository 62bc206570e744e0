// Public entry of the round protocol: server, client, rollout gate, model adapters, data loading.
export * from './types.js';
export { Barrier } from './barrier.js';
export { FederationServer, type ServerOptions } from './server.js';
export { FederationClient, rolloutGate, type ClientOptions, type GateDecision, type Attack } from './client.js';
export { weightModelAdapter, featurePresence, type WeightModelOps, type WeightModelShape } from './weight-adapter.js';
export { loadDataset, splitValidation, corpusExample, type LoadedData } from './data.js';
