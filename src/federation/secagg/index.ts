// Public entry of secure aggregation: Shamir sharing, fixed-point masking, the client and server steps.
export * from './shamir.js';
export * from './masking.js';
export * from './protocol.js';
