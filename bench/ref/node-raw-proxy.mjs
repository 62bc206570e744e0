#!/usr/bin/env node
// Reference front for bench/proxy.mjs: the least a Node HTTP proxy can do here — node:http server,
// raw pooled upstream sockets, Content-Length answers only, no checks, no log. Not for production.
// Usage: node bench/ref/node-raw-proxy.mjs PORT UPSTREAM_PORT [SPIN_US]
// SPIN_US: a busy wait of that many µs per request before forwarding (a stand-in for inspection work
// with a tiny cache footprint), to measure how added per-request CPU turns into added latency.
import http from 'node:http';
import net from 'node:net';

const [port, upPort, spinUs = 0] = process.argv.slice(2).map(Number);
const spin = () => { if (spinUs <= 0) return; const end = process.hrtime.bigint() + BigInt(Math.round(spinUs * 1000)); while (process.hrtime.bigint() < end); };
const pool = [];
const CRLF2 = Buffer.from('\r\n\r\n');
const getUp = (cb) => { const s = pool.pop(); if (s) return cb(s); const u = net.connect(upPort, '127.0.0.1'); u.setNoDelay(true); u.once('connect', () => cb(u)); };

http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (d) => chunks.push(d));
  req.on('end', () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
    const rh = req.rawHeaders;
    for (let i = 0; i < rh.length; i += 2) { const l = rh[i].toLowerCase(); if (l !== 'connection' && l !== 'keep-alive') head += `${rh[i]}: ${rh[i + 1]}\r\n`; }
    head += `x-forwarded-for: ${req.socket.remoteAddress}\r\n\r\n`;
    spin();
    getUp((u) => {
      let rb = null;
      const onData = (d) => {
        rb = rb ? Buffer.concat([rb, d]) : d;
        const j = rb.indexOf(CRLF2); if (j < 0) return;
        const lines = rb.toString('latin1', 0, j).split('\r\n');
        const hdrs = []; let n = 0;
        for (let k = 1; k < lines.length; k++) { const c = lines[k].indexOf(':'); const name = lines[k].slice(0, c); const v = lines[k].slice(c + 1).trim(); const l = name.toLowerCase(); if (l === 'content-length') n = Number(v); if (l !== 'connection') hdrs.push(name, v); }
        if (rb.length < j + 4 + n) return;
        u.off('data', onData); pool.push(u);
        res.writeHead(Number(lines[0].slice(9, 12)), hdrs); res.end(rb.subarray(j + 4, j + 4 + n));
      };
      u.on('data', onData);
      u.cork(); u.write(head, 'latin1'); if (body.length) u.write(body); u.uncork();
    });
  });
}).listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
