/** OAuth wire errors: RFC 6749 §5.2 bodies, their statuses, and no stack trace to capture. */
import { describe, expect, it } from 'vitest';
import {
  InvalidGrantError,
  InvalidTokenError,
  isOAuthError,
  OAuthError,
  UnsupportedGrantTypeError,
} from '../../src/server/oauth-errors.js';

describe('OAuthError', () => {
  it('carries the RFC body, its status and its class name', () => {
    const error = new UnsupportedGrantTypeError('only authorization_code and refresh_token');
    expect(error).toBeInstanceOf(OAuthError);
    expect(error).toBeInstanceOf(Error);
    expect(isOAuthError(error)).toBe(true);
    expect(error.name).toBe('UnsupportedGrantTypeError');
    expect(error.status).toBe(400);
    expect(error.toJSON()).toStrictEqual({
      error: 'unsupported_grant_type',
      error_description: 'only authorization_code and refresh_token',
    });
    expect(new InvalidTokenError('expired').status).toBe(401);
  });

  it('captures no stack trace (an answer, not a fault), keeps its cause, and leaves the global limit as it was', () => {
    const before = Error.stackTraceLimit;
    const cause = new Error('the store is down');
    const error = new InvalidGrantError('sign in again', { cause });
    expect(error.stack).toBe('InvalidGrantError: sign in again');
    expect(error.cause).toBe(cause);
    expect(cause.stack?.split('\n').length).toBeGreaterThan(1);
    expect(Error.stackTraceLimit).toBe(before);
    expect(new Error('later').stack?.split('\n').length).toBeGreaterThan(1);
  });
});
