/**
 * The small HTML pages the loopback listener answers the browser with. Everything shown is
 * escaped; the page loads nothing, runs nothing and never redirects (RURI-11).
 *
 * @module
 */

/** Response headers of every callback page: no caching, no framing, no scripts, no referrer. */
export const CALLBACK_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

function page(title: string, message: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;line-height:1.5;color:#1b1b1b}h1{font-size:1.4rem}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body>
</html>
`;
}

/** The page shown after a callback that carried a code: the sign-in continues in the app. */
export function successPage(): string {
  return page('Signed in', 'You are signed in. You can close this tab and return to the application.');
}

/** The page shown after a callback that failed; `reason` is plain text and is escaped. */
export function failurePage(reason: string): string {
  return page('Sign-in failed', `${reason} You can close this tab and try again from the application.`);
}
