/**
 * The user at the browser, for sign-ins against our authorization server with the development
 * login: GET the authorization URL, approve on the consent page (its hidden fields, the CSRF
 * cookie, the `Origin` a browser sends with a form post), and follow the 303 to the client's
 * loopback callback. Returns the callback URL and the callback's status.
 */

/** The consent form's action, hidden fields, and the cookies the consent page set. */
function consentForm(
  html: string,
  setCookies: string[],
): { action: string; fields: URLSearchParams; cookie: string } {
  const formTag = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (formTag === null) throw new Error('the consent page has no form');
  const [, action = '', body = ''] = formTag;
  const fields = new URLSearchParams();
  for (const input of body.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1];
    if (name !== undefined && value !== undefined) {
      fields.set(
        name,
        value
          .replace(/&quot;/g, '"')
          .replace(/&#39;/g, "'")
          .replace(/&amp;/g, '&'),
      );
    }
  }
  if (!fields.has('csrf_token')) throw new Error('the consent form carries no CSRF token');
  const approve = /<button[^>]*name="([^"]+)"[^>]*value="(approve|allow)"/.exec(body);
  fields.set(approve?.[1] ?? 'decision', approve?.[2] ?? 'approve');
  return { action, fields, cookie: setCookies.map((line) => line.split(';')[0]).join('; ') };
}

/** Options of {@link approveToRedirect}. */
export interface ApproveOptions {
  /** Sees the consent form's fields (the hidden ones and the approve button) before they are posted. */
  onConsentForm?: (fields: URLSearchParams) => void;
}

/**
 * Approves the authorization request `authorizationUrl` and returns where the server redirects
 * the browser (the client's redirect URI with `code` or `error`), without going there.
 *
 * @throws Error when the server does not show a consent page or redirect.
 */
export async function approveToRedirect(
  authorizationUrl: URL | string,
  options: ApproveOptions = {},
): Promise<URL> {
  const url = new URL(authorizationUrl);
  let response = await fetch(url, { redirect: 'manual' });
  if (response.status === 200) {
    const html = await response.text();
    const { action, fields, cookie } = consentForm(html, response.headers.getSetCookie());
    options.onConsentForm?.(fields);
    response = await fetch(new URL(action, url), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url.origin, cookie },
      body: fields,
    });
  }
  const location = response.headers.get('location');
  if (response.status !== 303 || location === null) {
    throw new Error(
      `the authorization server answered ${response.status} instead of redirecting back: ${await response.text()}`,
    );
  }
  return new URL(location, url);
}

/**
 * Approves the authorization request `authorizationUrl` and delivers the response to its
 * redirect URI (only a loopback `http` one is followed).
 *
 * @throws Error when the server does not show a consent page or redirect, or redirects elsewhere.
 */
export async function approveAuthorization(
  authorizationUrl: URL | string,
): Promise<{ callback: URL; status: number }> {
  const callback = await approveToRedirect(authorizationUrl);
  if (callback.protocol !== 'http:' || !['127.0.0.1', '[::1]', 'localhost'].includes(callback.hostname)) {
    throw new Error(`the authorization server redirected to ${callback.origin}, not to a loopback callback`);
  }
  const delivered = await fetch(callback, { redirect: 'manual' });
  await delivered.body?.cancel();
  return { callback, status: delivered.status };
}
