#!/usr/bin/env node
// Reference front for bench/proxy.mjs: a Node TCP pipe (one upstream connection per client
// connection, bytes copied both ways, no HTTP at all): the floor for any proxy written on Node here.
// Usage: node bench/ref/node-tcp-pipe.mjs PORT UPSTREAM_PORT
import net from 'node:net';

const [port, upPort] = process.argv.slice(2).map(Number);
net.createServer((c) => {
  const u = net.connect(upPort, '127.0.0.1');
  c.pipe(u); u.pipe(c);
  c.on('error', () => u.destroy()); u.on('error', () => c.destroy());
}).listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
