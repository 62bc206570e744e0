// Public entry of the federation transport: wire framing, TLS material, the gRPC server and client.
export * from './wire.js';
export * from './grpc.js';
export * from './tls.js';
