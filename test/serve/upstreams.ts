/**
 * Upstream identity providers for tests of the built `cimd serve`: a local OpenID provider
 * (oidc-provider) registered for the issuer `cimd serve` will have, and the flags that point
 * `cimd serve` at it.
 */
import { afterAll, beforeAll } from 'vitest';
import { startUpstreamIdp, type UpstreamIdp } from '../../src/demo/upstream-idp.js';
import { freePort } from './served.js';

/** A port for `cimd serve`, its issuer, and a provider with `<issuer>/upstream/callback` registered. */
export async function idpForServe(): Promise<{ port: number; issuer: string; idp: UpstreamIdp }> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const idp = await startUpstreamIdp({ redirectUris: [`${issuer}/upstream/callback`], autoConsent: true });
  return { port, issuer, idp };
}

/** The flags of `--upstream oidc` against `idp` (the client secret is given separately). */
export function oidcFlags(idp: UpstreamIdp): string[] {
  return ['--upstream', 'oidc', '--upstream-issuer', idp.issuer, '--upstream-client-id', idp.clientId];
}

/** {@link idpForServe} for a `describe` block: started before its tests, closed after them. */
export function useIdpForServe(): {
  readonly port: number;
  readonly issuer: string;
  readonly idp: UpstreamIdp;
} {
  const fixture = {} as { port: number; issuer: string; idp: UpstreamIdp };
  beforeAll(async () => {
    Object.assign(fixture, await idpForServe());
  });
  afterAll(async () => {
    await fixture.idp?.close();
  });
  return fixture;
}
