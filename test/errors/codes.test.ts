import { describe, expect, it } from 'vitest';
import { SignInError } from '../../src/client/errors.js';
import { CimdError, isCimdError } from '../../src/errors.js';
import { KeySetError } from '../../src/keys/errors.js';

describe('every library error is a CimdError with a stable code', () => {
  it('SignInError and KeySetError can be switched on through CimdError', () => {
    const errors: unknown[] = [
      new SignInError('ERR_SIGNIN_STATE_MISMATCH', 'state mismatch'),
      new KeySetError('ERR_KEYS_GRACE_PERIOD', 'too early', { retireAfter: new Date(0) }),
    ];
    const codes = errors.map((error) => (isCimdError(error) ? error.code : 'not a CimdError'));
    expect(codes).toEqual(['ERR_SIGNIN_STATE_MISMATCH', 'ERR_KEYS_GRACE_PERIOD']);
    expect(errors[0]).toBeInstanceOf(CimdError);
    expect((errors[0] as Error).name).toBe('SignInError');
    expect((errors[1] as KeySetError).retireAfter).toEqual(new Date(0));
  });
});
