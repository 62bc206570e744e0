// `jirachi demo`: the shield in block mode in front of the bundled sample app, on an embedded default config.

import type { Command } from 'commander';
import { startSampleApp } from '../../demo/index.js';
import { registerCommand } from '../registry.js';
import { runShield } from './shield.js';

registerCommand((program: Command) => {
  program.command('demo')
    .description('start a sample app and the shield in front of it (block mode), and print where to send requests')
    .option('--listen <host:port>', 'shield address', '127.0.0.1:8080')
    .option('--admin <host:port>', 'admin address', '127.0.0.1:9090')
    .action(async (o: { listen: string; admin: string }) => {
      const app = await startSampleApp();
      const base = `http://${o.listen}`;
      process.exitCode = await runShield({ upstream: app.url, listen: o.listen, admin: o.admin, mode: 'block', log: '.jirachi-state/decisions.jsonl' }, () => [
        `sample app on ${app.url}; decision log in .jirachi-state/decisions.jsonl`,
        'try:',
        `  curl -i '${base}/search?q=running+shoes'                  # allowed`,
        `  curl -i "${base}/search?q=1'%20OR%20'1'='1'%20--"        # blocked (403)`,
        `  curl -i '${base}/search?q=%3Cscript%3Ealert(1)%3C/script%3E'  # blocked (403)`,
        'stop with Ctrl-C',
      ]);
      app.server.close();
    });
});
