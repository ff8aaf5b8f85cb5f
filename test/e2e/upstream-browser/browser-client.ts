/**
 * The MCP client side of test/e2e/upstream-browser.test.ts: a phone-sized Chromium profile, and an
 * MCP client (`connect()` with our `CimdOAuthClientProvider`) whose sign-ins are walked through
 * that browser, recording every value it stores and every exchange it makes, so the test can show
 * that no upstream token ever reached it.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { connect } from '../../../src/client/connect.js';
import { CimdOAuthClientProvider } from '../../../src/client/provider.js';
import type { TokenStore } from '../../../src/client/token-store.js';
import { launchChromium } from '../../helpers/chromium.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Launches Chromium with one phone-sized profile; every step gives up after `stepTimeoutMs`. */
export async function launchPhoneProfile(
  stepTimeoutMs: number,
): Promise<{ browser: Browser; context: BrowserContext }> {
  const browser = await launchChromium(30_000);
  // One phone-sized browser profile: the user's, for every client in this file.
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
  });
  context.setDefaultTimeout(stepTimeoutMs);
  context.setDefaultNavigationTimeout(stepTimeoutMs);

  return { browser, context };
}

/** A client token store that remembers every value it was ever given (the test reads them all). */
export class RecordingTokenStore implements TokenStore {
  readonly #entries = new Map<string, string>();
  /** Every value ever stored, as JSON, overwritten ones included. */
  readonly written: string[] = [];
  get(key: string): unknown {
    const text = this.#entries.get(key);
    return text === undefined ? undefined : JSON.parse(text);
  }
  set(key: string, value: unknown): void {
    const text = JSON.stringify(value);
    this.written.push(text);
    this.#entries.set(key, text);
  }
  delete(key: string): void {
    this.#entries.delete(key);
  }
}

/** One exchange the MCP client made (MCP and OAuth requests alike): what it sent and what it got. */
export interface Exchange {
  method: string;
  url: string;
  requestBody: string;
  status: number;
  /** The response body, once read to the end (the MCP client reads its own copy). */
  responseBody: Promise<string>;
}

/** A `fetch` for the MCP client that records every exchange. */
export function recordingFetch(exchanges: Exchange[]) {
  return async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const response = await fetch(url, init);
    const body = init?.body;
    exchanges.push({
      method: init?.method ?? 'GET',
      url: String(url),
      requestBody: typeof body === 'string' || body instanceof URLSearchParams ? String(body) : '',
      status: response.status,
      responseBody: response
        .clone()
        .text()
        .catch(() => ''),
    });
    return response;
  };
}

/** Everything the MCP client received, as text (bodies that never ended count as empty). */
export async function everythingReceived(exchanges: Exchange[]): Promise<string> {
  const bodies = await Promise.all(
    exchanges.map((exchange) => Promise.race([exchange.responseBody, sleep(2000).then(() => '')])),
  );
  return bodies.join('\n');
}

/** The main text of the page, whitespace collapsed. */
export async function mainText(page: Page): Promise<string> {
  return (await page.locator('main').innerText()).replace(/\s+/g, ' ');
}

/** What the browser did for one sign-in. */
export type Walk = (page: Page, authorizationUrl: URL) => Promise<void>;

/** An MCP client whose provider hands each authorization URL to the shared Chromium profile. */
export interface BrowserClient {
  client: Client;
  provider: CimdOAuthClientProvider;
  store: RecordingTokenStore;
  exchanges: Exchange[];
  /** How many times the provider opened the browser. */
  signIns(): number;
}

/** What {@link connectInBrowser} needs. */
export interface BrowserSignIn {
  context: BrowserContext;
  /** The MCP server URL. */
  resource: string;
  /** The CA the document host's certificate chains to. */
  ca: string;
  clientId: string;
  walk: Walk;
}

export async function connectInBrowser(options: BrowserSignIn): Promise<BrowserClient> {
  const { context, resource, ca, clientId, walk } = options;
  const store = new RecordingTokenStore();
  const exchanges: Exchange[] = [];
  let signIns = 0;
  const provider = new CimdOAuthClientProvider({
    serverUrl: resource,
    clientMetadataUrl: clientId,
    store,
    allowPrivateNetwork: true,
    fetchOptions: { ca: ca },
    callbackTimeoutMs: 30_000,
    onAuthorizationUrl: async (url) => {
      signIns += 1;
      const page = await context.newPage();
      try {
        await walk(page, url);
      } finally {
        await page.close();
      }
    },
  });
  const client = await connect(resource, { provider, fetch: recordingFetch(exchanges) });
  return { client, provider, store, exchanges, signIns: () => signIns };
}
