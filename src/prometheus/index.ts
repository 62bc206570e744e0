// Public entry of prometheus: log formats (registry), streaming conversion to training_data.csv, CSV decoding.
export * from './record.js';
export * from './format.js';
export { parseJirachiLine, labelDecision } from './jirachi-format.js';
export { parseCombinedLine, unescapeLogField, splitRequestLine } from './combined-format.js';
export * from './training-csv.js';
export { readLines, rotationSet, type LineItem, type ReadLinesOptions } from './lines.js';
export { convertLogs, type ConvertOptions, type ConvertStats } from './convert.js';
