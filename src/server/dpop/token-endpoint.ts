/**
 * DPoP at the token endpoint (RFC 9449 §5, §8): the `DPoP` header's proof is checked against
 * `POST <token endpoint URL>` (the issuer's URL, not the one a proxy forwarded), then the grant
 * binds the access token to the proof's key (`cnf.jkt`, `token_type: DPoP`). With nonces on,
 * every response carries the current `DPoP-Nonce`, and a proof without it is answered with
 * 400 `use_dpop_nonce`.
 *
 * @module
 */
import type { ServerContext } from '../authorization-server/context.js';
import type { ResolvedClient } from '../clients/types.js';
import { InvalidDpopProofError, UseDpopNonceError } from './errors.js';
import { createDpopProofVerifier, type DpopProofVerifier, type VerifiedDpopProof } from './proof.js';

const verifiers = new WeakMap<ServerContext, DpopProofVerifier>();

function verifierOf(context: ServerContext): DpopProofVerifier {
  let verifier = verifiers.get(context);
  if (verifier === undefined) {
    const { dpop } = context.options;
    verifier = createDpopProofVerifier({
      replayStore: context.store,
      algorithms: dpop.algorithms,
      iatWindowMs: dpop.iatWindowMs,
      ...(dpop.nonces === undefined ? {} : { nonces: dpop.nonces }),
      now: context.now,
    });
    verifiers.set(context, verifier);
  }
  return verifier;
}

/**
 * Checks the token request's DPoP proof, if it has one. Resolves `undefined` for a request
 * without a `DPoP` header (unless the server requires DPoP).
 *
 * @throws InvalidDpopProofError, UseDpopNonceError.
 */
export async function verifyTokenRequestProof(
  context: ServerContext,
  request: Request,
): Promise<VerifiedDpopProof | undefined> {
  const header = request.headers.get('dpop');
  if (header === null) {
    if (context.options.dpop.required) {
      throw new InvalidDpopProofError('this server issues DPoP-bound tokens only: send a DPoP proof header');
    }
    return undefined;
  }
  if (header.includes(',')) throw new InvalidDpopProofError('the request must carry exactly one DPoP header');
  return verifierOf(context).verify({ proof: header, method: 'POST', url: context.endpoints.token.url });
}

/**
 * RFC 9449 §5.2: a client whose metadata says `dpop_bound_access_tokens: true` must send a proof
 * with every token request.
 *
 * @throws InvalidDpopProofError when it sent none.
 */
export function requireProofWhenClientAsks(
  client: ResolvedClient,
  proof: VerifiedDpopProof | undefined,
): void {
  if (proof === undefined && (client.metadata as Record<string, unknown>).dpop_bound_access_tokens === true) {
    throw new InvalidDpopProofError(
      "the client's metadata has dpop_bound_access_tokens: true, so its token requests must carry a DPoP proof",
    );
  }
}

/**
 * `response` with the current `DPoP-Nonce` when nonces are on (or the nonce of a
 * `use_dpop_nonce` error), exposed to browser clients.
 */
export async function withDpopNonce(
  context: ServerContext,
  response: Response,
  error?: unknown,
): Promise<Response> {
  const nonce =
    error instanceof UseDpopNonceError ? error.nonce : await context.options.dpop.nonces?.current();
  if (nonce === undefined) return response;
  // A new Response rather than mutating this one: some adapters (e.g. @hono/node-server) write
  // out the headers a Response was constructed with.
  const headers = new Headers(response.headers);
  headers.set('dpop-nonce', nonce);
  headers.set('access-control-expose-headers', 'DPoP-Nonce');
  return new Response(response.body, { status: response.status, headers });
}
