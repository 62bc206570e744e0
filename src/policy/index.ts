// Public entry of policy: routes, modes, exclusions, decide().
export * from './policy.js';
