/**
 * The CIMD URL rules a `client_id` must pass before its document is fetched (CIMD-AS-01..03):
 * an `https` URL by the document rules, or with `dangerouslyAllowHttpClientIds` an `http`
 * loopback URL.
 *
 * @module
 */
import { checkClientIdUrl } from '../../document/client-id-url.js';
import { isUrlClientId } from './client-id.js';
import { ClientResolutionError, echoId } from './errors.js';
import { isHttpLoopbackClientId } from './loopback-http-fetcher.js';

/**
 * Throws `ERR_CIMD_INVALID_CLIENT_ID` (a `ClientResolutionError` naming the first problem) when
 * `clientId` breaks the CIMD URL rules; an `http` id is only called for with the http opt-in, and
 * must be loopback. `allowPrivateNetwork` accepts non-public hosts. Nothing is fetched.
 */
export function assertCimdClientIdUrl(clientId: string, allowPrivateNetwork: boolean): void {
  const http = !isUrlClientId(clientId);
  if (http && !isHttpLoopbackClientId(clientId)) {
    throw new ClientResolutionError(
      'ERR_CIMD_INVALID_CLIENT_ID',
      clientId,
      `the client_id ${echoId(clientId)} is not a valid client metadata URL: http client_ids are accepted only on loopback (http://127.0.0.1, http://[::1] or http://localhost), and only for development`,
    );
  }
  const problems = checkClientIdUrl(clientId, { allowPrivateNetwork }).filter(
    (finding) =>
      finding.severity === 'error' &&
      !(http && (finding.id === 'CIMD-URL-01' || finding.id === 'CIMD-URL-09')),
  );
  const [first] = problems;
  if (first !== undefined) {
    throw new ClientResolutionError(
      'ERR_CIMD_INVALID_CLIENT_ID',
      clientId,
      `the client_id ${echoId(clientId)} is not a valid client metadata URL: ${first.message}`,
      { findings: problems },
    );
  }
}
