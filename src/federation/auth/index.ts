// Public entry of federation auth: node identities and registry, signed requests with replay guard, signed models.
export * from './identity.js';
export * from './model-signature.js';
