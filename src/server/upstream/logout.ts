/**
 * `/logout`: `GET` shows a page with a sign-out button; `POST` (from this server's own page:
 * same-origin) ends the browser session here and drops its upstream tokens. Grants already issued
 * to MCP clients stay: revoke those at `/revoke` or with the admin tools.
 *
 * @module
 */
import { html } from 'hono/html';
import { isSameOriginRequest } from '../authorize/csrf.js';
import { renderErrorPage } from '../ui/error-page.js';
import { renderPage } from '../ui/layout.js';
import type { UpstreamShared } from './shared.js';

/** Handles `GET` and `POST /logout`. */
export async function handleLogout(shared: UpstreamShared, request: Request): Promise<Response> {
  const path = new URL(shared.issuer).pathname.replace(/\/$/, '');
  if (request.method === 'GET') {
    const session = await shared.sessions.read(request);
    const who = session?.record.name ?? session?.record.email;
    const body = html`<h1>Sign out</h1>
${session === undefined ? html`<p>You are not signed in here.</p>` : html`<p>Signed in${who === undefined ? '' : html` as <strong>${who}</strong>`}.</p>`}
<form method="post" action="${path}/logout"><div class="actions">
<button type="submit" class="primary">Sign out</button></div></form>`;
    return renderPage({ title: 'Sign out', body });
  }
  if (!isSameOriginRequest(request, shared.issuer)) {
    return renderErrorPage({
      error: 'access_denied',
      description: 'The sign-out form was not sent from this server.',
      status: 403,
    });
  }
  const ended = await shared.sessions.destroy(request);
  if (ended.session !== undefined) {
    await shared.vault.dropSession(ended.session.id);
    shared.logger.info({ event: 'upstream.signed_out', userId: ended.session.record.userId }, 'signed out');
  }
  const response = await renderPage({
    title: 'Signed out',
    body: html`<h1>Signed out</h1><p>You are signed out of this server. You can close this page.</p>`,
  });
  response.headers.append('set-cookie', ended.cookie);
  return response;
}
