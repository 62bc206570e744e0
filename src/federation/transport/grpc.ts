// gRPC transport over TLS (@grpc/grpc-js): a generic unary service whose every request is a signed frame.

import * as grpc from '@grpc/grpc-js';
import { err, ok, systemClock, type Clock, type Result } from '../../core/index.js';
import { ReplayGuard, signRequest, verifyRequest, type NodeIdentity, type NodeRegistry } from '../auth/index.js';
import { decodeBody, decodeRequest, encodeBody, encodeRequest, type Body } from './wire.js';

/** The federation RPCs. Each takes and returns a Body; every request is signed by a registered node. */
export const FEDERATION_METHODS = ['Join', 'GetTask', 'Submit', 'Advertise', 'ShareKeys', 'MaskedInput', 'Unmask'] as const;
/** One of FEDERATION_METHODS. */
export type FederationMethod = (typeof FEDERATION_METHODS)[number];

/** Serves one RPC for an authenticated node. Throwing yields INTERNAL; return an error body for refusals. */
export type Handler = (nodeId: string, body: Body) => Promise<Body>;

const identity = (b: Buffer): Buffer => b;
const SERVICE: grpc.ServiceDefinition = Object.fromEntries(FEDERATION_METHODS.map((m) => [m, {
  path: `/jirachi.federation.v1.Federation/${m}`,
  requestStream: false, responseStream: false,
  requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity,
  originalName: m,
}]));

/**
 * Largest request the server receives (gRPC buffers it before authentication). The largest legitimate
 * one is a gbdt-hist level at the deepest setting: 128 frontier nodes × 512 features × 31 non-zero
 * bins × 20 bytes (u32 index, two float64 sums) ≈ 40.6 MB; vectors and sketches are far smaller.
 */
export const SERVER_RECEIVE_BYTES = 48 << 20;
/** Largest reply a node receives: a signed task (global model ≤ 8 MiB of JSON) plus the bin edges. */
export const CLIENT_RECEIVE_BYTES = 24 << 20;

const SERVER_OPTIONS = { 'grpc.max_receive_message_length': SERVER_RECEIVE_BYTES, 'grpc.max_send_message_length': CLIENT_RECEIVE_BYTES };
const CLIENT_OPTIONS = { 'grpc.max_receive_message_length': CLIENT_RECEIVE_BYTES, 'grpc.max_send_message_length': SERVER_RECEIVE_BYTES };

/** Server side of the transport. */
export interface TransportServer {
  readonly port: number;
  /** Counts of refused requests by reason (unknown node, bad signature, replay, malformed). */
  readonly refused: Record<string, number>;
  close(): Promise<void>;
}

/** Options of startGrpcServer. */
export interface GrpcServerOptions {
  readonly host: string;
  readonly port: number;
  readonly tls: { readonly certPem: Buffer; readonly keyPem: Buffer };
  readonly registry: NodeRegistry;
  readonly handlers: Readonly<Record<FederationMethod, Handler>>;
  readonly clock?: Clock;
}

/** Starts the TLS gRPC server; refuses unsigned, unknown-node and replayed requests with UNAUTHENTICATED. */
export async function startGrpcServer(o: GrpcServerOptions): Promise<TransportServer> {
  const server = new grpc.Server(SERVER_OPTIONS);
  const guard = new ReplayGuard();
  const clock = o.clock ?? systemClock;
  const refused: Record<string, number> = {};
  const refuse = (reason: string): void => { refused[reason] = (refused[reason] ?? 0) + 1; };
  const impl: grpc.UntypedServiceImplementation = {};
  for (const m of FEDERATION_METHODS) {
    impl[m] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => {
      const frame = decodeRequest(call.request);
      if (!frame.ok) { refuse('malformed'); cb({ code: grpc.status.INVALID_ARGUMENT, details: frame.error }); return; }
      const who = verifyRequest(frame.value.auth, m, frame.value.body, o.registry, guard, clock.now());
      if (!who.ok) { refuse(who.error); cb({ code: grpc.status.UNAUTHENTICATED, details: who.error }); return; }
      const body = decodeBody(frame.value.body);
      if (!body.ok) { refuse('malformed'); cb({ code: grpc.status.INVALID_ARGUMENT, details: body.error }); return; }
      o.handlers[m](who.value, body.value).then(
        (res) => cb(null, encodeBody(res)),
        (e: unknown) => cb({ code: grpc.status.INTERNAL, details: e instanceof Error ? e.message : 'handler failed' }),
      );
    };
  }
  server.addService(SERVICE, impl);
  const creds = grpc.ServerCredentials.createSsl(null, [{ cert_chain: o.tls.certPem, private_key: o.tls.keyPem }], false);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`, creds, (e, p) => (e ? reject(e) : resolve(p)));
  });
  return {
    port,
    refused,
    close: () => new Promise<void>((resolve) => {
      const t = setTimeout(() => { server.forceShutdown(); resolve(); }, 2000);
      server.tryShutdown(() => { clearTimeout(t); resolve(); });
    }),
  };
}

/** Client side of the transport: signed unary calls. The seam an alternative wire protocol implements. */
export interface FederationTransport {
  /** Calls `method`; resolves to the reply or an error string (never rejects). */
  call(method: FederationMethod, body: Body, timeoutMs: number): Promise<Result<Body, string>>;
  /** Bytes sent and received so far (request and response payloads). */
  readonly traffic: { sent: number; received: number };
  close(): void;
}

/** Options of grpcTransport. `caPem` pins the server certificate's issuer. */
export interface GrpcClientOptions {
  readonly target: string;
  readonly caPem: Buffer;
  readonly identity: NodeIdentity;
  readonly clock?: Clock;
}

/** Opens a TLS gRPC channel to the federation server. */
export function grpcTransport(o: GrpcClientOptions): FederationTransport {
  const Client = grpc.makeGenericClientConstructor(SERVICE, 'Federation');
  const client = new Client(o.target, grpc.credentials.createSsl(o.caPem), CLIENT_OPTIONS);
  const clock = o.clock ?? systemClock;
  const traffic = { sent: 0, received: 0 };
  return {
    traffic,
    close: () => client.close(),
    call(method, body, timeoutMs) {
      const bytes = encodeBody(body);
      const frame = encodeRequest(signRequest(o.identity, method, bytes, clock.now()), bytes);
      traffic.sent += frame.length;
      return new Promise((resolve) => {
        client.makeUnaryRequest(`/jirachi.federation.v1.Federation/${method}`, identity, identity, frame,
          { deadline: Date.now() + timeoutMs },
          (e: grpc.ServiceError | null, res?: Buffer) => {
            if (e || !res) { resolve(err(e ? `${grpc.status[e.code] ?? e.code}: ${e.details}` : 'empty reply')); return; }
            traffic.received += res.length;
            const d = decodeBody(res);
            resolve(d.ok ? ok(d.value) : err(`bad reply: ${d.error}`));
          });
      });
    },
  };
}
