#!/usr/bin/env node
// The jirachi command: runs the compiled CLI (npm run build first).
import { main } from '../dist/src/cli/main.js';
main(process.argv).then((code) => { process.exitCode = code; });
