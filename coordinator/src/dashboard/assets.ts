/**
 * The dashboard's static files, built by @cohortfl/dashboard with esbuild (no CDN: the
 * page works on an air-gapped hospital network). They hold no data; the page asks for
 * a token and reads everything over the authenticated socket.
 */
import type { ServerResponse } from 'node:http';
import { dashboardAsset } from '@cohortfl/dashboard';
import { CohortError } from '@cohortfl/wire';

export function serveDashboard(path: string, method: string, res: ServerResponse): void {
  if (method !== 'GET' && method !== 'HEAD') throw new CohortError('NOT_FOUND', `no resource at ${method} ${path}`);
  if (path === '/dashboard') {
    // Relative asset URLs in the page resolve against the trailing slash.
    res.writeHead(308, { location: '/dashboard/' });
    res.end();
    return;
  }
  const name = path === '/dashboard/' ? 'index.html' : path.slice('/dashboard/'.length);
  const asset = dashboardAsset(name);
  if (!asset) throw new CohortError('NOT_FOUND', `no resource at ${path}`);
  res.writeHead(200, {
    'content-type': asset.contentType,
    'content-length': asset.body.byteLength,
    'cache-control': 'no-cache',
    // Same-origin only: scripts, styles and the socket come from this server.
    // 'self' covers the same-origin ws:/wss: socket; nothing may be sent to any other host.
    'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
  });
  res.end(method === 'HEAD' ? undefined : asset.body);
}
