// Public entry of federated histogram boosting: sketches for common bin edges, node histograms, the server's tree builder.
export * from './sketch.js';
export * from './histogram.js';
export * from './builder.js';
export { HistServer, encodeCuts, MAX_NODE_ROWS, type HistServerOptions } from './server.js';
export { HistClient, type HistClientOptions } from './client.js';
