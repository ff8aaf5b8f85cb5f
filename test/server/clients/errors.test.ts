/** ClientResolutionError and its mapping to OAuth wire errors. */
import { describe, expect, it } from 'vitest';
import { CimdError, InvalidOptionError } from '../../../src/errors.js';
import { ClientResolutionError, isClientResolutionError } from '../../../src/server/clients/errors.js';
import { InvalidGrantError, toOAuthError } from '../../../src/server/oauth-errors.js';

describe('ClientResolutionError', () => {
  it('is a CimdError with a stable code, the client id and its details', () => {
    const error = new ClientResolutionError('ERR_CIMD_FETCH_BUDGET', 'https://a.example/c.json', 'busy', {
      retryAfterMs: 5000,
    });
    expect(error).toBeInstanceOf(CimdError);
    expect(error.name).toBe('ClientResolutionError');
    expect(error.code).toBe('ERR_CIMD_FETCH_BUDGET');
    expect(error.clientId).toBe('https://a.example/c.json');
    expect(error.retryAfterMs).toBe(5000);
    expect(error.findings).toEqual([]);
    expect(isClientResolutionError(error, 'ERR_CIMD_FETCH_BUDGET')).toBe(true);
    expect(isClientResolutionError(error, 'ERR_CIMD_FETCH')).toBe(false);
  });
});

describe('toOAuthError', () => {
  it.each([
    'ERR_CLIENT_NOT_FOUND',
    'ERR_CIMD_INVALID_CLIENT_ID',
    'ERR_CIMD_FETCH',
    'ERR_CIMD_INVALID_DOCUMENT',
    'ERR_CIMD_CLIENT_ID_MISMATCH',
    'ERR_CIMD_POLICY_DENIED',
  ] as const)('%s → invalid_client (401) with the safe message', (code) => {
    const error = new ClientResolutionError(code, 'x', 'the message');
    const wire = toOAuthError(error);
    expect(wire.toJSON()).toEqual({ error: 'invalid_client', error_description: 'the message' });
    expect(wire.status).toBe(401);
    expect(wire.cause).toBe(error);
  });

  it('ERR_CIMD_FETCH_BUDGET → temporarily_unavailable (503)', () => {
    const wire = toOAuthError(new ClientResolutionError('ERR_CIMD_FETCH_BUDGET', 'x', 'busy'));
    expect(wire.error).toBe('temporarily_unavailable');
    expect(wire.status).toBe(503);
  });

  it('an OAuth error passes through; anything else is a server_error that says nothing internal', () => {
    const grant = new InvalidGrantError('expired');
    expect(toOAuthError(grant)).toBe(grant);
    for (const error of [
      new Error('connect ECONNREFUSED 10.0.0.7:5432'),
      new InvalidOptionError('bad'),
      'string',
    ]) {
      const wire = toOAuthError(error);
      expect(wire.error).toBe('server_error');
      expect(wire.message).not.toContain('10.0.0.7');
    }
  });
});
