/**
 * Client authentication rules: the auth method (CIMD-DOC-05, -11), secrets (CIMD-DOC-06), keys
 * (CIMD-DOC-08, -12, CIMD-LINT-13, and the CIMD-KEY rules through `lintJwks`).
 *
 * @module
 */

import { lintJwks } from './jwks-lint.js';
import { isPlainObject, type LintContext } from './lint-context.js';
import { signingAlgProblem } from './signing-alg.js';

const ALLOWED_METHODS: ReadonlySet<string> = new Set(['none', 'private_key_jwt']);
const SHARED_SECRET_METHODS: ReadonlySet<string> = new Set([
  'client_secret_basic',
  'client_secret_post',
  'client_secret_jwt',
]);
const USE_INSTEAD =
  'Use "none" (a public client: PKCE protects the code) or "private_key_jwt" (publish public keys in jwks or jwks_uri).';

/** Runs the authentication rules. */
export function lintAuthentication(ctx: LintContext): void {
  const { doc } = ctx;
  const method = doc.token_endpoint_auth_method;
  if (method === undefined) {
    ctx.add(
      'CIMD-DOC-11',
      'token_endpoint_auth_method is missing; RFC 7591 defaults it to client_secret_basic, which CIMD forbids, and some servers then reject the document. Set it to "none" or "private_key_jwt".',
      '$.token_endpoint_auth_method',
    );
  } else if (typeof method === 'string' && !ALLOWED_METHODS.has(method)) {
    const why = SHARED_SECRET_METHODS.has(method)
      ? `"${method}" authenticates with a shared secret, which a public document cannot keep; CIMD forbids it.`
      : `"${method}" is not an authentication method CIMD clients can use.`;
    ctx.add('CIMD-DOC-05', `${why} ${USE_INSTEAD}`, '$.token_endpoint_auth_method');
  }

  for (const member of ['client_secret', 'client_secret_expires_at'] as const) {
    if (member in doc) {
      ctx.add(
        'CIMD-DOC-06',
        `${member} must not appear in a client metadata document: the document is public, so a CIMD client has no secret. Remove it (and revoke the secret if it was a real one).`,
        `$.${member}`,
      );
    }
  }

  const hasJwks = doc.jwks !== undefined;
  const hasJwksUri = doc.jwks_uri !== undefined;
  if (hasJwks && hasJwksUri) {
    ctx.add(
      'CIMD-DOC-08',
      'The document has both jwks and jwks_uri; RFC 7591 allows only one. Keep jwks_uri (keys can rotate without editing the document) or jwks, and remove the other.',
      '$',
    );
  }

  const alg = doc.token_endpoint_auth_signing_alg;
  const algProblem = typeof alg === 'string' ? signingAlgProblem(alg) : undefined;
  if (algProblem !== undefined) {
    ctx.add(
      'CIMD-KEY-07',
      `token_endpoint_auth_signing_alg: ${algProblem}.`,
      '$.token_endpoint_auth_signing_alg',
    );
  }

  if (method === 'private_key_jwt') {
    if (!hasJwks && !hasJwksUri) {
      ctx.add(
        'CIMD-DOC-12',
        'token_endpoint_auth_method is private_key_jwt but the document has no keys; add jwks_uri (the URL of your public JWK Set) or jwks.',
        '$',
      );
    }
    if (alg === undefined) {
      ctx.add(
        'CIMD-DOC-12',
        'token_endpoint_auth_method is private_key_jwt but token_endpoint_auth_signing_alg is missing; servers such as atproto refuse that. Set it to the algorithm you sign with, e.g. "ES256".',
        '$.token_endpoint_auth_signing_alg',
      );
    }
    if (isPlainObject(doc.jwks) && Array.isArray(doc.jwks.keys) && doc.jwks.keys.length === 0) {
      ctx.add(
        'CIMD-DOC-12',
        'token_endpoint_auth_method is private_key_jwt but jwks.keys is empty, so no assertion can be verified; add your public signing key(s).',
        '$.jwks.keys',
      );
    }
  }

  if (method === 'none') {
    for (const member of ['jwks', 'jwks_uri'] as const) {
      if (doc[member] !== undefined) {
        ctx.add(
          'CIMD-LINT-13',
          `token_endpoint_auth_method is "none", so ${member} is never used; remove it, or switch to "private_key_jwt" to authenticate with these keys.`,
          `$.${member}`,
        );
      }
    }
  }

  if (hasJwks) {
    const options = typeof alg === 'string' && algProblem === undefined ? { signingAlg: alg } : {};
    // An empty set is CIMD-DOC-12 when the keys are needed and harmless (CIMD-LINT-13) otherwise.
    ctx.push(...lintJwks(doc.jwks, options).filter((finding) => finding.id !== 'CIMD-KEY-02'));
  }
}
