// Public entry of config: schema, pure validation, loading.
export { configSchema, type ShieldConfig, type RouteConfig, type ExclusionConfig } from './schema.js';
export { validateConfig, formatIssue, deepFreeze, type ConfigIssue, type ConfigOverrides } from './validate.js';
export { loadConfig } from './load.js';
