/**
 * DPoP-bound refresh tokens (RFC 9449 §5): a public client's refresh token family remembers the
 * thumbprint of the DPoP key its first tokens were issued to (in the family's `extra`), and every
 * refresh must carry a proof by that key. A confidential client's refresh tokens are bound to its
 * client authentication instead, so its families carry no DPoP key.
 *
 * @module
 */
import type { RefreshFamilyRecord } from '../../store/store.js';
import { InvalidGrantError } from '../oauth-errors.js';
import type { VerifiedDpopProof } from './proof.js';

/** The member of a refresh family's `extra` that holds its DPoP key thumbprint. */
export const DPOP_JKT_EXTRA = 'dpopJkt';

/**
 * Checks that a refresh of `family` comes with a proof by the key the family is bound to.
 *
 * @throws InvalidGrantError when the family is bound and the proof is missing or by another key.
 */
export function checkDpopRefreshBinding(
  family: RefreshFamilyRecord,
  proof: VerifiedDpopProof | undefined,
): void {
  const bound = family.extra?.[DPOP_JKT_EXTRA];
  if (typeof bound !== 'string') return;
  if (proof === undefined) {
    throw new InvalidGrantError(
      'this refresh token is bound to a DPoP key: send a DPoP proof signed with the same key',
    );
  }
  if (proof.jkt !== bound) {
    throw new InvalidGrantError(
      'the DPoP proof is signed by another key than the one this refresh token is bound to',
    );
  }
}
