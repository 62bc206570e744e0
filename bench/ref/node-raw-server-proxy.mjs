#!/usr/bin/env node
// Reference front for bench/proxy.mjs: node-raw without node:http — requests parsed by hand on raw
// sockets (head + Content-Length bodies only, no checks), raw pooled upstream sockets. Shows what
// node:http's server side costs here. Not for production.
// Usage: node bench/ref/node-raw-server-proxy.mjs PORT UPSTREAM_PORT
import net from 'node:net';

const [port, upPort] = process.argv.slice(2).map(Number);
const pool = [];
const CRLF2 = Buffer.from('\r\n\r\n');
const getUp = (cb) => { const s = pool.pop(); if (s) return cb(s); const u = net.connect(upPort, '127.0.0.1'); u.setNoDelay(true); u.once('connect', () => cb(u)); };
const contentLength = (head) => { const m = /\r\ncontent-length:\s*(\d+)/i.exec(head); return m ? Number(m[1]) : 0; };

net.createServer((c) => {
  c.setNoDelay(true);
  let buf = Buffer.alloc(0);
  let busy = false;
  const pump = () => {
    if (busy) return;
    const i = buf.indexOf(CRLF2); if (i < 0) return;
    const head = buf.toString('latin1', 0, i); const total = i + 4 + contentLength(head);
    if (buf.length < total) return;
    const body = buf.subarray(i + 4, total); buf = buf.subarray(total);
    busy = true;
    const lines = head.split('\r\n'); const out = [lines[0]];
    for (let k = 1; k < lines.length; k++) { const l = lines[k]; const n = l.slice(0, l.indexOf(':')).toLowerCase(); if (n !== 'connection' && n !== 'keep-alive') out.push(l); }
    out.push(`x-forwarded-for: ${c.remoteAddress}`);
    const req = `${out.join('\r\n')}\r\n\r\n`;
    getUp((u) => {
      let rb = null;
      const onData = (d) => {
        rb = rb ? Buffer.concat([rb, d]) : d;
        const j = rb.indexOf(CRLF2); if (j < 0) return;
        const n = contentLength(rb.toString('latin1', 0, j)); if (rb.length < j + 4 + n) return;
        u.off('data', onData); pool.push(u);
        c.write(rb.subarray(0, j + 4 + n));
        busy = false; pump();
      };
      u.on('data', onData);
      u.cork(); u.write(req, 'latin1'); if (body.length) u.write(body); u.uncork();
    });
  };
  c.on('data', (d) => { buf = buf.length ? Buffer.concat([buf, d]) : d; pump(); });
  c.on('error', () => {});
}).listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
