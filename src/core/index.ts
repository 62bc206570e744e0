// Public entry of core: shared types every other folder imports.
export * from './result.js';
export * from './errors.js';
export * from './request.js';
export * from './finding.js';
export * from './verdict.js';
export * from './clock.js';
