/**
 * The error page shown when an authorization request cannot be answered by redirecting (an
 * unknown client, a failed document fetch, an unregistered redirect URI: RFC 6749 §4.1.2.1 says
 * never redirect then). It says what is wrong in words safe to show.
 *
 * @module
 */
import { html } from 'hono/html';
import { renderPage } from './layout.js';

/** What the error page shows. */
export interface ErrorPageOptions {
  /** The OAuth error code, e.g. `invalid_client`. */
  error: string;
  /** What went wrong, safe to show (never internal detail). */
  description: string;
  /** The `client_id` asked for, when known. */
  clientId?: string;
  /** A link back to the application, when it may be told (its validated redirect URI with the error). */
  continueUrl?: string;
  /** HTTP status, default 400. */
  status?: number;
}

/** Renders the error page. */
export function renderErrorPage(options: ErrorPageOptions): Promise<Response> {
  const body = html`<h1>This sign-in request cannot continue</h1>
<div class="error" role="alert">
<p>${options.description}</p>
</div>
${options.clientId ? html`<p class="label">Application</p><p><code>${options.clientId}</code></p>` : ''}
${
  options.continueUrl === undefined
    ? html`<p class="self-declared">Error code: <code>${options.error}</code>. You have not been signed in to anything, and no
information was sent to the application. You can close this page.</p>`
    : html`<p class="self-declared">Error code: <code>${options.error}</code>. The application gets no access.</p>
<p><a class="button secondary" href="${options.continueUrl}">Return to the application</a></p>`
}`;
  return renderPage({ title: 'Sign-in request refused', body }, options.status ?? 400);
}
