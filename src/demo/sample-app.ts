// A small sample web application for the demo: pages, a search, a login form and a JSON API.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

const PRODUCTS = [
  { id: 1, name: 'Trail running shoes', price: 89.9 },
  { id: 2, name: "O'Neill rain jacket", price: 120 },
  { id: 3, name: 'Wool socks (3 pack)', price: 19.5 },
];

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1>${body}
<form action="/search"><input name="q" aria-label="search"><button>Search</button></form></body></html>\n`;
}

/** Handles one sample-app request. Exported for tests. */
export function sampleApp(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://app');
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'x-sample-app': '1' });
      res.end(body);
    };
    if (url.pathname === '/') return send(200, 'text/html', page('Sample shop', '<p>Try <a href="/search?q=shoes">a search</a> or <a href="/api/products">the API</a>.</p>'));
    if (url.pathname === '/search') {
      const q = url.searchParams.get('q') ?? '';
      const hits = PRODUCTS.filter((p) => p.name.toLowerCase().includes(q.toLowerCase()));
      return send(200, 'text/html', page(`Results for ${q}`, `<ul>${hits.map((h) => `<li>${esc(h.name)}</li>`).join('')}</ul>`));
    }
    if (url.pathname === '/api/products') return send(200, 'application/json', JSON.stringify({ products: PRODUCTS }) + '\n');
    if (url.pathname === '/login' && req.method === 'POST') {
      const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
      return send(form.get('user') ? 200 : 400, 'application/json', JSON.stringify({ ok: Boolean(form.get('user')) }) + '\n');
    }
    return send(404, 'text/html', page('Not found', '<p>No such page.</p>'));
  });
}

/** Starts the sample app on `host:port` (0 = any free port). Caller owns the server. */
export function startSampleApp(host = '127.0.0.1', port = 0): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(sampleApp);
  return new Promise((resolve) => server.listen(port, host, () => {
    const a = server.address() as AddressInfo;
    resolve({ server, url: `http://${a.address}:${a.port}` });
  }));
}
