/**
 * `GET /upstream/callback`: the provider sends the browser back here. Checked in order: the
 * `state` names a sign-in in flight (else an error page: a wrong, forged or replayed `state` has
 * nowhere safe to go), started in this browser (else an error page: login CSRF), then the
 * provider's answer (an `error` from it; the code exchange with PKCE, `iss`, `nonce` and the ID
 * token checked by the provider client), then the allow-lists. A failure after the first two
 * checks sends the browser back to the authorization with the failure, so the MCP client gets a
 * proper OAuth error; success starts a session, keeps the upstream tokens encrypted, and returns
 * the browser to finish the authorization. Never a 5xx, never a token for a failed sign-in.
 *
 * @module
 */
import { returnToWithError, type SignInFailureCode } from '../login/authenticator.js';
import { renderErrorPage } from '../ui/error-page.js';
import { classifyUpstreamError, UpstreamError } from './errors.js';
import { isAllowed, subjectFor } from './identity.js';
import type { PendingSignIn } from './pending-sign-in.js';
import type { UpstreamShared } from './shared.js';

function redirect(location: string, cookies: string[]): Response {
  const headers = new Headers({ location, 'cache-control': 'no-store' });
  for (const cookie of cookies) headers.append('set-cookie', cookie);
  return new Response(null, { status: 303, headers });
}

/** The callback URL as the provider client must see it: our registered redirect URI with the provider's query. */
function callbackUrlOf(shared: UpstreamShared, request: Request): URL {
  const url = new URL(shared.callbackUrl);
  url.search = new URL(request.url).search;
  return url;
}

async function refusedPage(shared: UpstreamShared, reason: string, description: string): Promise<Response> {
  shared.logger.warn(
    { event: 'upstream.callback_refused', provider: shared.provider.id, reason },
    description,
  );
  return renderErrorPage({ error: 'invalid_request', description, status: 400 });
}

function failed(
  shared: UpstreamShared,
  pending: PendingSignIn,
  failure: SignInFailureCode,
  clearCookie: string,
  log: Record<string, unknown>,
  message: string,
): Response {
  shared.logger.warn(
    { event: 'upstream.sign_in_failed', provider: shared.provider.id, failure, ...log },
    message,
  );
  return redirect(returnToWithError(pending.returnTo, failure), [clearCookie]);
}

/** Handles the provider's callback; see the module documentation. */
export async function handleUpstreamCallback(shared: UpstreamShared, request: Request): Promise<Response> {
  try {
    return await callback(shared, request);
  } catch (error) {
    shared.logger.error(
      {
        event: 'upstream.callback_error',
        err: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      },
      'the upstream callback failed unexpectedly',
    );
    return renderErrorPage({
      error: 'temporarily_unavailable',
      description: 'Signing in could not be completed. Start again from the application.',
      status: 503,
    });
  }
}

async function callback(shared: UpstreamShared, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const finished = await shared.pending.finish(url.searchParams.get('state'), request);
  if (finished.status === 'unknown') {
    return refusedPage(
      shared,
      'state_unknown',
      'This sign-in is unknown or has expired. Start again from the application.',
    );
  }
  if (finished.status === 'replayed') {
    return refusedPage(
      shared,
      'state_replayed',
      'This sign-in was already completed. Start again from the application.',
    );
  }
  if (finished.status !== 'ok') {
    return refusedPage(
      shared,
      'browser_mismatch',
      'This sign-in was started in another browser, so it cannot finish here. Start again from the application.',
    );
  }
  const { pending, clearCookie } = finished;
  const providerError = url.searchParams.get('error');
  if (providerError !== null) {
    const error = classifyUpstreamError({ error: providerError }, 'authorization');
    return failed(
      shared,
      pending,
      error.failure,
      clearCookie,
      { upstreamError: providerError.slice(0, 64) },
      'the identity provider answered with an error',
    );
  }
  let result: Awaited<ReturnType<UpstreamShared['provider']['finishSignIn']>>;
  try {
    result = await shared.provider.finishSignIn(callbackUrlOf(shared, request), {
      redirectUri: shared.callbackUrl,
      state: pending.state,
      ...(pending.nonce === undefined ? {} : { nonce: pending.nonce }),
      codeVerifier: pending.codeVerifier,
      ...(shared.allow.organizations.length > 0 ? { organizations: true } : {}),
    });
  } catch (error) {
    const upstream = error instanceof UpstreamError ? error : classifyUpstreamError(error, 'callback');
    return failed(
      shared,
      pending,
      upstream.failure,
      clearCookie,
      { errorCode: upstream.code, reason: upstream.message },
      'signing in at the identity provider failed',
    );
  }
  const { identity, tokens } = result;
  if (!isAllowed(identity, shared.allow)) {
    return failed(
      shared,
      pending,
      'user_not_allowed',
      clearCookie,
      { upstreamSubject: identity.subject, username: identity.username },
      'the user signed in upstream but no allow-list admits them',
    );
  }
  const userId = await subjectFor(identity.issuer, identity.subject);
  const created = await shared.sessions.create({
    userId,
    authTime: shared.now(),
    ...(identity.name === undefined ? {} : { name: identity.name }),
    ...(identity.email === undefined ? {} : { email: identity.email }),
    data: { provider: shared.provider.id },
  });
  await shared.vault.saveForSession(
    created.session.id,
    { provider: shared.provider.id, subject: identity.subject, tokens },
    shared.sessions.lifetimeMs,
  );
  shared.logger.info(
    { event: 'upstream.signed_in', provider: shared.provider.id, userId },
    'signed in at the identity provider',
  );
  return redirect(pending.returnTo, [clearCookie, created.cookie]);
}
