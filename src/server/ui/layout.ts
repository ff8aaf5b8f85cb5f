/**
 * The page layout every server-rendered page uses: escaped by construction (hono/html escapes
 * every interpolated value), readable on a phone, one nonce'd stylesheet, no scripts.
 *
 * @module
 */
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { htmlPageHeaders, newStyleNonce } from '../http/security-headers.js';

/** What a page contributes to the layout. */
export interface PageContent {
  /** The document title (escaped). */
  title: string;
  /** The page body, built with `html` so every value in it is escaped. */
  body: HtmlEscapedString | Promise<HtmlEscapedString>;
  /**
   * A `Set-Cookie` value sent with the page. Given here rather than appended to the response,
   * the headers stay a plain record all the way to the socket (no `Headers` object per page).
   */
  setCookie?: string;
}

const STYLES = `
:root { color-scheme: light dark; --accent: #2459c7; --warn-bg: #fff4d6; --warn-fg: #5c4300; --muted: #5f6b7a; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: Canvas; color: CanvasText; }
main { max-width: 34rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.35rem; margin: 0 0 1rem; }
.domain { font-size: 1.6rem; font-weight: 700; word-break: break-all; margin: .25rem 0; }
.label { color: var(--muted); font-size: .85rem; text-transform: uppercase; letter-spacing: .04em; margin: 1rem 0 0; }
.self-declared { color: var(--muted); font-size: .9rem; }
.warning { background: var(--warn-bg); color: var(--warn-fg); border-radius: .5rem; padding: .75rem 1rem; margin: 1rem 0; }
.error { border-left: 4px solid #c0392b; padding: .5rem 1rem; margin: 1rem 0; }
ul { padding-left: 1.25rem; }
code { word-break: break-all; }
.actions { display: flex; gap: .75rem; margin-top: 1.5rem; flex-wrap: wrap; }
button, a.button { font: inherit; display: inline-block; text-decoration: none; padding: .7rem 1.4rem; border-radius: .5rem; border: 1px solid var(--accent); cursor: pointer; min-width: 8rem; }
button.primary { background: var(--accent); color: #fff; }
button.secondary, a.button.secondary { background: transparent; color: inherit; }
button:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
img.logo { width: 48px; height: 48px; border-radius: .5rem; }
@media (prefers-color-scheme: dark) { :root { --warn-bg: #3d3000; --warn-fg: #ffe08a; --muted: #a3adba; --accent: #6d9bff; } }
`;

/** Renders a full HTML page response with the strict security headers. */
export async function renderPage(content: PageContent, status = 200): Promise<Response> {
  const nonce = newStyleNonce();
  const page = await html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${content.title}</title>
<style nonce="${nonce}">${raw(STYLES)}</style>
</head>
<body><main>${content.body}</main></body>
</html>`;
  const headers: Record<string, string> = htmlPageHeaders(nonce);
  if (content.setCookie !== undefined) headers['set-cookie'] = content.setCookie;
  return new Response(page.toString(), { status, headers });
}
