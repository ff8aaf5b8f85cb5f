/**
 * The usual mistakes of publishing a client metadata document, named from a failed fetch: a raw
 * file host serving `text/plain`, a redirect (trailing slash, another host name, a sign-in wall),
 * a CDN bot wall answering 403/503 with a challenge page, an HTML page where JSON was expected.
 * `cimd validate` prints the hint under the failure; recipes per host are in docs/hosting.md.
 * Pure: reads the error's status, headers and first body bytes only.
 *
 * @module
 */
import { mediaTypeOf } from '../fetch/content-type.js';
import type { FetchError } from '../fetch/errors.js';

/** Stable identifiers of the hosting hints. */
export type HostingHintId =
  | 'raw-file-host'
  | 'content-type'
  | 'redirect-trailing-slash'
  | 'redirect-host'
  | 'redirect-sign-in'
  | 'redirect'
  | 'bot-wall'
  | 'private-object'
  | 'html-body';

/** A likely cause of a failed fetch and what to do about it. */
export interface HostingHint {
  id: HostingHintId;
  /** One or two sentences for a user. */
  message: string;
}

const RECIPES = 'hosting recipes: docs/hosting.md';

/** Hosts that serve repository files as `text/plain` (or `application/octet-stream`) and cannot be configured. */
const RAW_FILE_HOSTS: readonly string[] = [
  'raw.githubusercontent.com',
  'gist.githubusercontent.com',
  'raw.github.com',
  'bitbucket.org',
  'gitlab.com',
  'codeberg.org',
  'pastebin.com',
];

function isRawFileHost(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  if (RAW_FILE_HOSTS.includes(host)) {
    // GitLab, Bitbucket and Codeberg serve raw files under a path of their own.
    if (host === 'gitlab.com') return url.pathname.includes('/-/raw/');
    if (host === 'bitbucket.org' || host === 'codeberg.org') return url.pathname.includes('/raw/');
    return true;
  }
  return false;
}

function isHtml(contentType: string | undefined): boolean {
  const type = contentType === undefined ? '' : mediaTypeOf(contentType);
  return type === 'text/html' || type === 'application/xhtml+xml';
}

function looksLikeHtml(bodyStart: string | undefined): boolean {
  return bodyStart !== undefined && /^\s*<(?:!doctype|html|head|body|!--)/i.test(bodyStart);
}

/** A bot wall: a CDN's challenge or block page instead of the document. */
function botWall(error: FetchError, headers: Readonly<Record<string, string>>): HostingHint | undefined {
  if (error.status !== 403 && error.status !== 503 && error.status !== 429) return undefined;
  const server = (headers.server ?? '').toLowerCase();
  const cloudflare = headers['cf-mitigated'] !== undefined || server === 'cloudflare';
  const vercel = headers['x-vercel-mitigated'] !== undefined;
  const awsWaf = headers['x-amzn-waf-action'] !== undefined;
  if (!(cloudflare || vercel || awsWaf)) return undefined;
  if (!isHtml(headers['content-type']) && headers['cf-mitigated'] === undefined && !vercel && !awsWaf) {
    return undefined;
  }
  const who = cloudflare
    ? `Cloudflare${headers['cf-mitigated'] === undefined ? '' : ` (cf-mitigated: ${headers['cf-mitigated']})`}`
    : vercel
      ? 'Vercel (x-vercel-mitigated)'
      : 'AWS WAF (x-amzn-waf-action)';
  const fix = cloudflare
    ? 'add a WAF custom rule that skips the bot and challenge features for this path, or turn off Bot Fight Mode / "Under Attack" mode for it'
    : vercel
      ? 'exclude this path from the Firewall challenge rule and from Attack Challenge Mode'
      : 'add a WAF rule that allows GET on this path';
  return {
    id: 'bot-wall',
    message: `${who} answered ${error.status} with a bot challenge page instead of the document: authorization servers fetch it without a browser and cannot pass a challenge; ${fix} (${RECIPES}).`,
  };
}

/** A sign-in page: an identity host (Cloudflare Access, Vercel's login) or a login path. */
function isSignInPage(target: URL): boolean {
  const host = target.hostname.toLowerCase();
  return (
    host.endsWith('.cloudflareaccess.com') ||
    host === 'vercel.com' ||
    /^(?:login|sso|auth|signin|accounts)\./.test(host) ||
    /\/(?:login|signin|sign-in|sso)(?:\/|$)/i.test(target.pathname)
  );
}

/** S3 (directly or behind CloudFront) answers 403 both for a private object and for a missing one. */
function privateObject(
  error: FetchError,
  headers: Readonly<Record<string, string>>,
): HostingHint | undefined {
  if (error.status !== 403 || (headers.server ?? '').toLowerCase() !== 'amazons3') return undefined;
  return {
    id: 'private-object',
    message: `S3 answered 403 AccessDenied: the object is not readable by the public (or by CloudFront's origin access control), or it does not exist (S3 says 403, not 404, when listing is not allowed); check the key and the bucket policy (${RECIPES}).`,
  };
}

function redirectHint(error: FetchError, url: URL): HostingHint {
  let target: URL | undefined;
  try {
    target = error.location === undefined ? undefined : new URL(error.location);
  } catch {
    target = undefined;
  }
  const advice = 'authorization servers never follow redirects';
  if (target === undefined) {
    return {
      id: 'redirect',
      message: `the host redirects the document; ${advice}: serve it with 200 at the client_id URL itself (${RECIPES}).`,
    };
  }
  const trim = (path: string) => path.replace(/\/+$/, '');
  if (
    target.host === url.host &&
    target.pathname !== url.pathname &&
    trim(target.pathname) === trim(url.pathname)
  ) {
    const added = target.pathname.endsWith('/');
    return {
      id: 'redirect-trailing-slash',
      message: `the host ${added ? 'adds' : 'removes'} a trailing slash (GitHub Pages does this for folders, Netlify's pretty URLs and Vercel's trailingSlash too); ${advice}: publish the document as a file (client.json) and use that exact URL, without the redirect, as client_id (${RECIPES}).`,
    };
  }
  if (isSignInPage(target)) {
    return {
      id: 'redirect-sign-in',
      message: `the host sends visitors to a sign-in page (${target.origin}), e.g. Vercel Deployment Protection, Cloudflare Access or a private bucket; ${advice}: make the document's path public (${RECIPES}).`,
    };
  }
  if (target.host !== url.host) {
    return {
      id: 'redirect-host',
      message: `the host redirects to another host name (${target.host}), e.g. apex ↔ www or a github.io site moved to its custom domain; ${advice}: set client_id to the final URL and publish the document there (${RECIPES}).`,
    };
  }
  return {
    id: 'redirect',
    message: `the host redirects to ${target.href}; ${advice}: use the final URL as client_id (and in the document), or serve the document without the redirect (${RECIPES}).`,
  };
}

function contentTypeHint(url: URL, contentType: string | undefined): HostingHint | undefined {
  const type = contentType === undefined ? '' : mediaTypeOf(contentType);
  if (isHtml(contentType)) return htmlBody();
  if (isRawFileHost(url)) {
    return {
      id: 'raw-file-host',
      message: `${url.hostname} is a raw file host: it serves every file as ${type || 'text/plain'} (on purpose, so browsers do not run them) and cannot be configured; publish the document where you set Content-Type: application/json, e.g. GitHub Pages from the same repository (${RECIPES}).`,
    };
  }
  if (type === 'text/plain' || type === 'application/octet-stream' || type === '') {
    return {
      id: 'content-type',
      message: `the host served ${type || 'no Content-Type'}: raw file hosts (raw.githubusercontent.com, gist raw) always do, and static hosts do for files without a .json extension; name the file *.json or set Content-Type: application/json for it (_headers, vercel.json, netlify.toml, S3 object metadata: ${RECIPES}).`,
    };
  }
  return undefined;
}

function htmlBody(): HostingHint {
  return {
    id: 'html-body',
    message: `the host answered an HTML page where JSON was expected: usually a single-page-app fallback (every path rewritten to index.html), a custom "not found" page served with 200, or the file missing from the deployment; check that the file is deployed at exactly this path and excluded from SPA rewrites (${RECIPES}).`,
  };
}

/** The likely hosting mistake behind a failed document fetch, or undefined when none is recognised. */
export function hostingHintFor(error: FetchError): HostingHint | undefined {
  let url: URL;
  try {
    url = new URL(error.url);
  } catch {
    return undefined;
  }
  const headers = error.headers ?? {};
  switch (error.code) {
    case 'ERR_FETCH_REDIRECT':
      return redirectHint(error, url);
    case 'ERR_FETCH_STATUS':
      return botWall(error, headers) ?? privateObject(error, headers);
    case 'ERR_FETCH_CONTENT_TYPE':
      return contentTypeHint(url, headers['content-type']);
    case 'ERR_FETCH_INVALID_JSON':
      return looksLikeHtml(error.bodyStart) ? htmlBody() : undefined;
    default:
      return undefined;
  }
}
