/**
 * Serving protected-resource metadata (RFC 9728 §3.2, DISC-02): `GET`/`HEAD` answer 200
 * `application/json`; browsers discover it cross-origin, so every answer carries
 * `Access-Control-Allow-Origin: *` and `OPTIONS` answers the CORS preflight. The document is
 * public and sent without credentials, so a wildcard origin is safe.
 *
 * @module
 */
import { type HttpReply, jsonReply } from './http-reply.js';
import type { ProtectedResourceMetadata } from './protected-resource-metadata.js';

const ALLOWED_METHODS = 'GET, HEAD, OPTIONS';

/** The parts of a request the metadata endpoint looks at. */
export interface MetadataRequest {
  method: string;
  /** The `Access-Control-Request-Headers` of a preflight, if any. */
  accessControlRequestHeaders?: string | undefined;
}

/**
 * The answer to `request` at the metadata URL: 200 JSON for `GET`/`HEAD`, 204 for a CORS
 * preflight (allowing the requested headers, e.g. `MCP-Protocol-Version`), 405 otherwise.
 */
export function metadataReply(metadata: ProtectedResourceMetadata, request: MetadataRequest): HttpReply {
  const method = request.method.toUpperCase();
  const cors = { 'Access-Control-Allow-Origin': '*' };
  if (method === 'GET' || method === 'HEAD') {
    return jsonReply(200, metadata, { ...cors, 'Cache-Control': 'public, max-age=300' });
  }
  if (method === 'OPTIONS') {
    const requested = request.accessControlRequestHeaders?.trim();
    const headers: Record<string, string> = {
      ...cors,
      'Access-Control-Allow-Methods': ALLOWED_METHODS,
      'Access-Control-Max-Age': '86400',
      Allow: ALLOWED_METHODS,
    };
    if (
      requested !== undefined &&
      /^[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:\s*,\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*$/.test(requested)
    ) {
      headers['Access-Control-Allow-Headers'] = requested;
    }
    return { status: 204, headers };
  }
  return jsonReply(
    405,
    { error: 'invalid_request', error_description: 'protected-resource metadata is read with GET' },
    { ...cors, Allow: ALLOWED_METHODS },
  );
}
