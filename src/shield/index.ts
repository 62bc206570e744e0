// Public entry of the shield: the reverse-proxy data plane.
export { Shield, type ShieldOptions } from './shield.js';
export { buildSnapshot, type ShieldSnapshot, type ShieldContext } from './context.js';
export { checkFraming, type FramingError } from './framing.js';
export { rateKey, resolveClientIp } from './client-ip.js';
export { RateAuthority, RateLimiter, type RateResult } from './rate-limit.js';
export { upstreamHeaders, downstreamRawHeaders } from './headers.js';
export { redactSecrets, requestSample } from './redact.js';
export { startPrimary, runWorker, workerCount, type ClusterPrimary } from './cluster.js';
export { inspectsBody, looksLikeText, multipartEncodingError, bodyEncodingError, isInspectableType, type BodyEncodingError } from './body.js';
