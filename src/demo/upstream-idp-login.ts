/**
 * Signing in at the loopback upstream provider (src/demo/upstream-idp.ts) the way a browser would:
 * what oidc-provider's development interactions render (for browser tests and the demo), and a
 * plain-HTTP driver for tests that need no browser.
 */

/**
 * How oidc-provider's development interactions render (checked against oidc-provider 9): the
 * login page (`<h1>Sign-in</h1>`) has a text input `login` and a password input `password`
 * (required, any value is accepted) and a submit button; the consent page (`<h1>Authorize</h1>`,
 * shown unless `autoConsent`) has a hidden `prompt=consent` and one submit button, "Continue".
 * Both pages carry a "[ Cancel ]" link that ends the flow with `error=access_denied`.
 */
export const UPSTREAM_LOGIN_FORM = {
  loginField: 'login',
  passwordField: 'password',
  loginInput: 'input[name="login"]',
  passwordInput: 'input[name="password"]',
  submit: 'button[type=submit]',
  consentMarker: 'input[name="prompt"][value="consent"]',
  cancelLink: 'a[href$="/abort"]',
} as const;

/** Options of {@link completeUpstreamLogin}. */
export interface UpstreamLoginOptions {
  /** The login name (account id) typed into the login form. */
  login: string;
  /** The password typed in; any value is accepted. Default `'password'`. */
  password?: string;
  /** Click "[ Cancel ]" on the first page instead (the flow ends with `access_denied`). */
  cancel?: boolean;
  /** Step limit (requests) before giving up. Default 20. */
  maxSteps?: number;
}

/** Minimal cookie jar: name -> value, for one origin (paths ignored). */
function storeCookies(jar: Map<string, string>, response: Response): void {
  for (const line of response.headers.getSetCookie()) {
    const [pair = '', ...attributes] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((attribute) => {
      const [key = '', raw = ''] = attribute.split('=').map((part) => part.trim());
      if (key.toLowerCase() === 'max-age') return Number(raw) <= 0;
      if (key.toLowerCase() === 'expires') return Date.parse(raw) <= Date.now();
      return false;
    });
    if (expired || value === '') jar.delete(name);
    else jar.set(name, value);
  }
}

const unescapeHtml = (text: string): string =>
  text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');

/**
 * Drives the dev interactions of a provider from `startUpstreamIdp` with plain HTTP, like a
 * fresh browser: follows the authorization URL's redirects with a cookie jar, fills in the login
 * form, clicks "Continue" on the consent page when it appears, and returns the first redirect that
 * leaves the provider's origin: the callback URL with `code`, `state` and `iss` (or `error`).
 */
export async function completeUpstreamLogin(
  authorizationUrl: string | URL,
  options: UpstreamLoginOptions,
): Promise<URL> {
  const origin = new URL(authorizationUrl).origin;
  const jar = new Map<string, string>();
  let url = new URL(authorizationUrl);
  let body: URLSearchParams | undefined;
  for (let step = 0; step < (options.maxSteps ?? 20); step++) {
    const headers: Record<string, string> = {};
    if (jar.size) headers.cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, {
      method: body ? 'POST' : 'GET',
      headers,
      body: body ?? null,
      redirect: 'manual',
    });
    storeCookies(jar, response);
    const location = response.headers.get('location');
    if (location !== null) {
      await response.body?.cancel();
      const next = new URL(location, url);
      if (next.origin !== origin) return next;
      url = next;
      body = undefined;
      continue;
    }
    const html = await response.text();
    if (!response.ok) {
      throw new Error(`upstream sign-in: HTTP ${response.status} at ${url.pathname}: ${html.slice(0, 300)}`);
    }
    const action = /<form[^>]*\saction="([^"]+)"/.exec(html)?.[1];
    const abort = /<a href="([^"]+\/abort)"/.exec(html)?.[1];
    if (options.cancel && abort) {
      url = new URL(unescapeHtml(abort), url);
      body = undefined;
    } else if (action) {
      const isLogin = html.includes(`name="${UPSTREAM_LOGIN_FORM.loginField}"`);
      body = new URLSearchParams(
        isLogin
          ? { prompt: 'login', login: options.login, password: options.password ?? 'password' }
          : { prompt: 'consent' },
      );
      url = new URL(unescapeHtml(action), url);
    } else {
      throw new Error(`upstream sign-in: no form at ${url.pathname}: ${html.slice(0, 300)}`);
    }
  }
  throw new Error('upstream sign-in: too many steps without leaving the provider');
}
