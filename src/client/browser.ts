/**
 * Handing the authorization URL to the user: the system browser (RFC 8252: an external user
 * agent, never an embedded view), a line on stderr, or a caller's function. The browser is
 * started with the platform's opener and the URL as ONE argument, never through a shell.
 *
 * @module
 */
import { spawn } from 'node:child_process';
import { SignInError } from './errors.js';
import { isSecureOrLoopback } from './token-request.js';

/** Receives the authorization URL of a sign-in (headless use, tests, custom UIs). */
export type AuthorizationUrlHandler = (url: URL) => void | Promise<void>;

/** Where the authorization URL goes: the system browser, a line on stderr, or a function. */
export type AuthorizationUrlTarget = 'browser' | 'print' | AuthorizationUrlHandler;

/** The opener program and its arguments for a platform; the URL is always the last argument. */
export function openerFor(platform: NodeJS.Platform, url: string): { command: string; args: string[] } {
  if (platform === 'darwin') return { command: 'open', args: [url] };
  // `start` is a cmd.exe built-in: cmd would parse `&` in the URL as a command separator, so use
  // the URL protocol handler, which takes the URL as a plain argument.
  if (platform === 'win32') return { command: 'rundll32', args: ['url.dll,FileProtocolHandler', url] };
  return { command: 'xdg-open', args: [url] };
}

/**
 * Refuses to hand out an authorization URL that is not https (or http on loopback, for local
 * development): the endpoint comes from the server's metadata, and an opener given `file:` or a
 * custom scheme would run something on this machine.
 *
 * @throws SignInError `ERR_SIGNIN_SERVER_UNSUPPORTED`.
 */
export function assertOpenableUrl(url: URL): void {
  if (isSecureOrLoopback(url)) return;
  throw new SignInError(
    'ERR_SIGNIN_SERVER_UNSUPPORTED',
    `the authorization endpoint ${url.origin === 'null' ? url.protocol : url.origin} is not an https URL; refusing to open it.`,
  );
}

/** Starts the system browser on `url`; resolves once the opener started, rejects if it cannot. */
export function openInBrowser(url: URL, platform: NodeJS.Platform = process.platform): Promise<void> {
  assertOpenableUrl(url);
  const { command, args } = openerFor(platform, url.href);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'ignore', detached: true, shell: false, windowsHide: true });
    child.once('error', (error) =>
      reject(
        new SignInError('ERR_SIGNIN_FAILED', `cannot start the browser with ${command}: ${error.message}`, {
          cause: error,
        }),
      ),
    );
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}

/** A handler that prints the URL on `stream` (stderr by default) for the user to open. */
export function printAuthorizationUrl(
  stream: NodeJS.WritableStream = process.stderr,
): AuthorizationUrlHandler {
  return (url) => {
    stream.write(`Open this URL in your browser to sign in:\n\n  ${url.href}\n\n`);
  };
}

/**
 * Delivers `url` to `target`. `browser` falls back to printing on `stream` when no browser can be
 * started (a server without a desktop, say).
 */
export async function deliverAuthorizationUrl(
  url: URL,
  target: AuthorizationUrlTarget,
  stream: NodeJS.WritableStream = process.stderr,
): Promise<void> {
  assertOpenableUrl(url);
  if (typeof target === 'function') {
    await target(url);
    return;
  }
  if (target === 'browser') {
    try {
      await openInBrowser(url);
      stream.write(`Opened your browser to sign in. If it did not open, visit:\n\n  ${url.href}\n\n`);
      return;
    } catch {
      stream.write('Could not open a browser.\n');
    }
  }
  await printAuthorizationUrl(stream)(url);
}
