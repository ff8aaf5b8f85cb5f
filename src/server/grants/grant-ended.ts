/**
 * What happens beside the store when a grant ends (a replayed code, a reused or revoked refresh
 * token, a revoked access token's grant, a key that left the client's set): the authenticator
 * drops what it bound to the grant (upstream tokens). A failure there is logged, never thrown:
 * the grant is already revoked in the store.
 *
 * @module
 */
import type { ServerContext } from '../authorization-server/context.js';

/** Tells the authenticator that grant `grantId` ended, for `reason` (a log code). */
export async function grantEnded(context: ServerContext, grantId: string, reason: string): Promise<void> {
  const hook = context.authenticator.grantRevoked;
  if (hook === undefined) return;
  try {
    await hook.call(context.authenticator, grantId);
  } catch (error) {
    context.logger.warn(
      {
        event: 'grant_cleanup_failed',
        reason,
        grantId,
        err: error instanceof Error ? { name: error.name, message: error.message } : String(error),
      },
      'the sign-in data bound to an ended grant could not be dropped',
    );
  }
}
