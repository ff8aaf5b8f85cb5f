import { describe, expect, it } from 'vitest';
import { OAuthParams } from '../../../src/server/http/params.js';

describe('OAuthParams.toRecord', () => {
  it('holds each parameter once as an own property, empty ones left out, and is frozen', () => {
    const params = OAuthParams.from(
      new URLSearchParams('grant_type=refresh_token&scope=&__proto__=x&constructor=y&client_id=a%20b'),
    );
    const record = params.toRecord();
    expect(record).toStrictEqual(
      Object.fromEntries([
        ['grant_type', 'refresh_token'],
        ['__proto__', 'x'],
        ['constructor', 'y'],
        ['client_id', 'a b'],
      ]),
    );
    expect(Object.hasOwn(record, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.isFrozen(record)).toBe(true);
    expect(params.toRecord()).toBe(record);
  });

  it('refuses a repeated parameter before any record exists (RFC 6749 §3.1)', () => {
    expect(() => OAuthParams.from(new URLSearchParams('client_id=a&client_id=b'))).toThrow(/repeated/);
  });
});
