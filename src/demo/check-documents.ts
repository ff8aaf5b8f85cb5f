/**
 * Checks the demo's documents with `validateClientMetadataUrl`, exactly as a published document
 * is checked (fetch, rules, keys), trusting the demo CA and allowing loopback, and the runtime
 * redirect URI the demo client uses.
 *
 * @module
 */
import { createSafeFetcher } from '../fetch/safe-fetch.js';
import type { ValidationReport } from '../validate/report.js';
import { validateClientMetadataUrl } from '../validate/validate-document.js';
import { DEMO_CLIENT_NAMES, type DemoClientName } from './documents.js';
import type { Demo } from './start.js';

/** Validates each demo document; resolves with the report of each. */
export async function checkDemoDocuments(demo: Demo): Promise<Record<DemoClientName, ValidationReport>> {
  const fetcher = createSafeFetcher({ allowPrivateNetwork: true, ca: demo.ca.cert });
  try {
    const reports = await Promise.all(
      DEMO_CLIENT_NAMES.map((name) =>
        validateClientMetadataUrl(demo.clients[name].clientId, {
          fetcher,
          allowPrivateNetwork: true,
          redirectUris: [demo.urls.callback],
        }),
      ),
    );
    return { public: reports[0] as ValidationReport, agent: reports[1] as ValidationReport };
  } finally {
    await fetcher.close();
  }
}
