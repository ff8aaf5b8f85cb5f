/**
 * The consent page: server-rendered, every value escaped (hono/html), no scripts (the strict CSP
 * of every page), readable on a phone. It puts the VERIFIED DOMAIN (the `client_id` host) first
 * and largest (CIMD-AS-21), marks the document's `client_name` as self-declared unless the client
 * is trusted, says where the browser will be sent (MCP-AS-21), warns when every redirect URI is on
 * this device (MCP-AS-19), and lists what is asked for, for which MCP server, and for whom.
 *
 * @module
 */
import { html } from 'hono/html';
import { renderPage } from './layout.js';

/** Where the browser goes after the decision. */
export type RedirectTarget =
  /** A loopback redirect: a program on this device (`host` is `127.0.0.1`, `[::1]` or `localhost`). */
  | { kind: 'device'; host: string }
  /** An https (or http) site: `host` is its host. */
  | { kind: 'web'; host: string }
  /** A private-use URI scheme: `host` is the scheme. */
  | { kind: 'app'; host: string };

/** Everything the consent page shows. */
export interface ConsentPageModel {
  /** The full `client_id`. */
  clientId: string;
  /** The `client_id` host, for a CIMD client (absent for a registered client). */
  verifiedDomain?: string;
  /** The document's `client_name`, as declared. */
  clientName?: string;
  /** Whether the trust policy trusts the client (its name is then shown plainly). */
  trusted: boolean;
  redirect: RedirectTarget;
  /** Every registered redirect URI is loopback. */
  loopbackOnly: boolean;
  scopes: readonly string[];
  resources: readonly string[];
  /** The signed-in user, as shown; absent when the user signs in after deciding. */
  userName?: string;
  /** Where the user signs in after approving (an upstream identity provider's name), when not yet signed in. */
  signInWith?: string;
  formAction: string;
  interactionId: string;
  csrfToken: string;
  /** The logo's path on this server (trusted clients only). */
  logoPath?: string;
}

function identity(model: ConsentPageModel) {
  const logo = model.logoPath === undefined ? '' : html`<img class="logo" src="${model.logoPath}" alt="">`;
  const name =
    model.clientName === undefined
      ? ''
      : model.trusted
        ? html`<p><strong>${model.clientName}</strong></p>`
        : html`<p class="self-declared">It calls itself “${model.clientName}” (not verified).</p>`;
  if (model.verifiedDomain !== undefined) {
    return html`${logo}<h2 class="label">Application from the domain</h2>
<p class="domain">${model.verifiedDomain}</p>
${name}
<p class="self-declared">Identified by <code>${model.clientId}</code></p>`;
  }
  return html`${logo}<h2 class="label">Registered application</h2>
<p class="domain"><code>${model.clientId}</code></p>
${name}
<p class="self-declared">This application registered itself with this server; its name is not verified.</p>`;
}

function destination(target: RedirectTarget) {
  switch (target.kind) {
    case 'device':
      return html`an application on this device (${target.host})`;
    case 'web':
      return html`<strong>${target.host}</strong>`;
    case 'app':
      return html`the app that opens <code>${target.host}:</code> links on this device`;
  }
}

function loopbackWarning(model: ConsentPageModel) {
  if (!model.loopbackOnly) return '';
  return html`<div class="warning" role="note"><p><strong>Warning:</strong> this application only returns to
programs on this device. Any program on this computer can use this application's identity, so the name and
domain above do not prove which program asked. Continue only if you started this sign-in yourself, just now.</p></div>`;
}

function access(model: ConsentPageModel) {
  const scopes =
    model.scopes.length === 0
      ? html`<li>use the MCP server on your behalf</li>`
      : model.scopes.map((scope) => html`<li><code>${scope}</code></li>`);
  const servers = model.resources.map((resource) => html`<li><code>${resource}</code></li>`);
  return html`<h2 class="label">It asks to</h2>
<ul>${scopes}</ul>
<p class="label">On the MCP server</p>
<ul>${servers}</ul>`;
}

function account(model: ConsentPageModel) {
  if (model.userName !== undefined) {
    return html`<h2 class="label">Your account</h2>
<p>Signed in as <strong>${model.userName}</strong></p>
<p>After you decide, you will be sent to ${destination(model.redirect)}.</p>`;
  }
  return html`<h2 class="label">Your account</h2>
<p>If you allow access, you sign in with <strong>${model.signInWith ?? 'your identity provider'}</strong> next,
and are then sent to ${destination(model.redirect)}. If you deny, you are sent there at once.</p>`;
}

/** Renders the consent page (200) for `model`, with the `Set-Cookie` value `setCookie` when given. */
export function renderConsentPage(model: ConsentPageModel, setCookie?: string): Promise<Response> {
  const body = html`<h1>Allow access?</h1>
${identity(model)}
${loopbackWarning(model)}
${access(model)}
${account(model)}
<form method="post" action="${model.formAction}">
<input type="hidden" name="interaction" value="${model.interactionId}">
<input type="hidden" name="csrf_token" value="${model.csrfToken}">
<div class="actions">
<button type="submit" name="decision" value="approve" class="primary">${model.userName === undefined ? 'Allow and sign in' : 'Allow access'}</button>
<button type="submit" name="decision" value="deny" class="secondary">Deny</button>
</div>
</form>`;
  return renderPage({ title: 'Allow access?', body, ...(setCookie === undefined ? {} : { setCookie }) });
}
