// Requests to a kube-apiserver the way kubectl and client-go send them: one HTTP/2 connection with
// the admin client certificate, many requests in flight on it (no TLS handshake per request).
import http2 from 'node:http2';

export interface ApiServerClient {
  url: string;
  caPem: string;
  clientCertPem: string;
  clientKeyPem: string;
}

export interface Answer {
  status: number;
  body: string;
  warnings: string[];
}

export function connect(c: ApiServerClient): http2.ClientHttp2Session {
  return http2.connect(c.url, { ca: c.caPem, cert: c.clientCertPem, key: c.clientKeyPem });
}

export function request(session: http2.ClientHttp2Session, method: string, path: string, body: string, contentType = 'application/json'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':method': method, ':path': path, 'content-type': contentType, accept: 'application/json' });
    let status = 0;
    let warnings: string[] = [];
    let text = '';
    req.setEncoding('utf8');
    req.on('response', (h) => {
      status = Number(h[':status']);
      const w = h.warning;
      warnings = w === undefined ? [] : Array.isArray(w) ? w : [w];
    });
    req.on('data', (c: string) => (text += c));
    req.on('end', () => resolve({ status, body: text, warnings }));
    req.on('error', reject);
    req.end(body);
  });
}
