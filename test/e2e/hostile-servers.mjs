// Small hostile servers for test/e2e/reports.test.ts, started inside an offline namespace (loopback
// only): argv[2] = port of a web page whose <title> and Server header carry terminal escapes and
// bidi overrides; argv[3] = port of a "helper" that refuses with the same bytes in its {error};
// argv[4] = port of a "helper" answering Go-style nulls ({"dns":null,"http_request":null,"tcp_connect":null});
// argv[5] = port of a helper whose control differs from the page (another title and size: http-diff);
// argv[6] = the address the page is served on (for the helper's tcp_connect key).
import http from 'node:http';

const EVIL = '\u001b]0;PWNED\u0007\u001b[2J\u202eevil\u009b31m';
const [page, refusing, nulls, differing] = process.argv.slice(2, 6).map(Number);
const address = process.argv[6] ?? '127.0.0.1';
const servers = [
  [page, (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html', server: 'x' });
    res.end(`<html><head><title>${EVIL}</title></head><body>${'x'.repeat(2000)}</body></html>`);
  }],
  [refusing, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: EVIL }));
    });
  }],
  [nulls, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"dns":null,"http_request":null,"tcp_connect":null}');
    });
  }],
  [differing, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({
        tcp_connect: { [`${address}:${page}`]: { status: true, failure: null } },
        http_request: { body_length: 90000, discovered_h3_endpoint: '', failure: null, title: 'Genuine page', headers: { 'Content-Type': 'text/html', 'X-Genuine': '1' }, status_code: 200 },
        dns: { failure: null, addrs: [] },
        ip_info: {},
      }));
    });
  }],
];
let up = 0;
for (const [port, handler] of servers) {
  http.createServer(handler).listen(port, port === page ? address : '127.0.0.1', () => {
    if (++up === servers.length) process.stdout.write('ready\n');
  });
}
