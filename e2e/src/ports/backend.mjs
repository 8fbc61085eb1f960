// A backend for the port and proxy tests, run by Kepler as a service: listens on $PORT (127.0.0.1).
//   GET  /health         200 ok
//   GET  /whoami         JSON: its port, the request's headers, the remote port of the connection
//   GET  /bytes?n=N      N bytes, streamed in 64 KiB chunks (no content-length: chunked)
//   POST /upload         counts the body's bytes as they arrive; answers {"bytes": N}
//   WebSocket (any path) echoes every message
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.env.PORT);
const chunk = Buffer.alloc(64 * 1024, 120);
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (url.pathname === '/health') return res.end('ok');
  if (url.pathname === '/whoami') {
    res.setHeader('content-type', 'application/json');
    return res.end(JSON.stringify({ port, headers: req.headers, remotePort: req.socket.remotePort }));
  }
  if (url.pathname === '/bytes') {
    let left = Number(url.searchParams.get('n'));
    const more = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return res.once('drain', more);
      }
      res.end();
    };
    return more();
  }
  if (url.pathname === '/upload') {
    let bytes = 0;
    req.on('data', (d) => {
      bytes += d.length;
    });
    req.on('end', () => res.end(JSON.stringify({ bytes })));
    return;
  }
  res.statusCode = 404;
  res.end('no such path');
});
const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
server.listen(port, '127.0.0.1', () => console.log(`listening on ${port}`));
