import { UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  claimedClientId,
  JWT_BEARER_ASSERTION_TYPE,
  readClientAssertionParams,
} from '../../../src/server/auth/assertion-params.js';
import { InvalidRequestError } from '../../../src/server/oauth-errors.js';
import { CLIENT_ID, JWT_BEARER } from './helpers.js';

describe('PKJ-01 reading the client assertion parameters', () => {
  it('reads each parameter from URLSearchParams and from a plain object', () => {
    const expected = { clientAssertionType: JWT_BEARER, clientAssertion: 'a.b.c', clientId: CLIENT_ID };
    const fields = { client_assertion_type: JWT_BEARER, client_assertion: 'a.b.c', client_id: CLIENT_ID };
    expect(readClientAssertionParams(new URLSearchParams(fields))).toEqual(expected);
    expect(readClientAssertionParams(fields)).toEqual(expected);
    expect(JWT_BEARER_ASSERTION_TYPE).toBe(JWT_BEARER);
  });

  it('treats absent and empty parameters as omitted (RFC 6749 §3.2)', () => {
    expect(readClientAssertionParams(new URLSearchParams('client_assertion=&client_id='))).toEqual({});
    expect(readClientAssertionParams({ client_assertion: undefined, client_assertion_type: [] })).toEqual({});
  });

  it('refuses a repeated client_assertion with invalid_request, in both shapes', () => {
    const search = new URLSearchParams([
      ['client_assertion_type', JWT_BEARER],
      ['client_assertion', 'a.b.c'],
      ['client_assertion', 'd.e.f'],
    ]);
    expect(() => readClientAssertionParams(search)).toThrow(InvalidRequestError);
    expect(() => readClientAssertionParams({ client_assertion: ['a.b.c', 'd.e.f'] })).toThrow(
      /client_assertion parameter is repeated/,
    );
  });

  it('refuses a repeated client_assertion_type or client_id with invalid_request', () => {
    expect(() => readClientAssertionParams({ client_assertion_type: [JWT_BEARER, JWT_BEARER] })).toThrow(
      /client_assertion_type parameter is repeated/,
    );
    expect(() => readClientAssertionParams(new URLSearchParams('client_id=a&client_id=b'))).toThrow(
      /client_id parameter is repeated/,
    );
  });

  it('refuses a value that is not a string with invalid_request', () => {
    const params = { client_assertion: 42 } as unknown as Record<string, string>;
    expect(() => readClientAssertionParams(params)).toThrow(InvalidRequestError);
    expect(() => readClientAssertionParams(null as unknown as Record<string, string>)).toThrow(
      InvalidRequestError,
    );
  });

  it('ignores inherited properties of a plain object', () => {
    const params = Object.create({ client_assertion: 'inherited' }) as Record<string, string>;
    expect(readClientAssertionParams(params)).toEqual({});
  });
});

describe('claimedClientId', () => {
  const assertion = new UnsecuredJWT({ iss: CLIENT_ID }).encode();

  it('prefers the client_id parameter', () => {
    expect(claimedClientId({ client_id: 'https://b.example/c.json', client_assertion: assertion })).toBe(
      'https://b.example/c.json',
    );
  });
  it("falls back to the unverified assertion's iss", () => {
    expect(claimedClientId({ client_assertion: assertion })).toBe(CLIENT_ID);
  });
  it('is undefined for garbage or nothing', () => {
    expect(claimedClientId({ client_assertion: 'not-a-jwt' })).toBeUndefined();
    expect(claimedClientId({})).toBeUndefined();
  });
});
