/**
 * The logger of `cimd serve` and the demo redacts secrets at the top level, nested at any depth,
 * in child bindings and in strings.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED } from '../../src/serve/logging.js';

/** A logger writing into an array of parsed JSON lines. */
function capture(level: 'info' | 'debug' = 'debug') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      callback();
    },
  });
  return { logger: createLogger({ level, destination: stream }), lines };
}

describe('the serve logger redacts secrets', () => {
  const SECRETS = {
    bearer: 'eyJhbGciOiJFUzI1NiJ9.bearer-token-value.sig',
    assertion: 'eyJhbGciOiJFUzI1NiJ9.client-assertion-value.sig',
    code: 'authorization-code-value-Qx3',
    verifier: 'code-verifier-value-0123456789abcdefghijklmnopq',
    access: 'access-token-value-Zz9',
    refresh: 'refresh-token-value-Yy8',
    cookie: 'session=cookie-value-Ww7',
    d: 'private-jwk-d-value',
    p: 'private-jwk-p-value',
    q: 'private-jwk-q-value',
    dp: 'private-jwk-dp-value',
    dq: 'private-jwk-dq-value',
    qi: 'private-jwk-qi-value',
  };
  const jwk = {
    kty: 'RSA',
    kid: 'key-1',
    n: 'public-modulus',
    e: 'AQAB',
    d: SECRETS.d,
    p: SECRETS.p,
    q: SECRETS.q,
    dp: SECRETS.dp,
    dq: SECRETS.dq,
    qi: SECRETS.qi,
  };

  function expectNoSecret(lines: readonly string[]): void {
    const output = lines.join('\n');
    for (const secret of Object.values(SECRETS)) expect(output).not.toContain(secret);
    expect(output).toContain(REDACTED);
  }

  it('at the top level', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        authorization: `Bearer ${SECRETS.bearer}`,
        client_assertion: SECRETS.assertion,
        code: SECRETS.code,
        code_verifier: SECRETS.verifier,
        access_token: SECRETS.access,
        refresh_token: SECRETS.refresh,
        cookie: SECRETS.cookie,
        ...jwk,
      },
      'top level',
    );
    expectNoSecret(lines);
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line).toMatchObject({
      level: 'info',
      msg: 'top level',
      kid: 'key-1',
      n: 'public-modulus',
      code: REDACTED,
    });
  });

  it('nested at any depth, in arrays, in child bindings, Headers and error objects', () => {
    const { logger, lines } = capture();
    const child = logger.child({ request: { headers: { Cookie: SECRETS.cookie } } });
    child.warn(
      {
        req: { headers: { Authorization: `Bearer ${SECRETS.bearer}`, 'user-agent': 'test-agent' } },
        form: { grant_type: 'authorization_code', code: SECRETS.code, code_verifier: SECRETS.verifier },
        body: { params: { client_assertion: SECRETS.assertion } },
        response: {
          deep: { deeper: { tokens: [{ access_token: SECRETS.access, refresh_token: SECRETS.refresh }] } },
        },
        keys: { keys: [jwk] },
        fetched: new Headers({ authorization: `Bearer ${SECRETS.bearer}`, 'set-cookie': SECRETS.cookie }),
        err: Object.assign(new Error('failed'), {
          code: 'ERR_CIMD_FETCH',
          details: { access_token: SECRETS.access },
        }),
      },
      'nested',
    );
    expectNoSecret(lines);
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line.req.headers['user-agent']).toBe('test-agent');
    expect(line.form.grant_type).toBe('authorization_code');
    expect(line.keys.keys[0]).toMatchObject({ kid: 'key-1', n: 'public-modulus', d: REDACTED, qi: REDACTED });
    expect(line.err).toMatchObject({ message: 'failed', code: 'ERR_CIMD_FETCH' });
  });

  it('in strings: secret query parameters and credentials, in values and in the message', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        url: `http://127.0.0.1:4002/callback?code=${SECRETS.code}&state=xyz&iss=http%3A%2F%2F127.0.0.1`,
        location: new URL(`http://127.0.0.1/cb?access_token=${SECRETS.access}`),
        note: `sent Bearer ${SECRETS.bearer}`,
      },
      `redirecting to /callback?code=${SECRETS.code}&state=xyz`,
    );
    expectNoSecret(lines);
    const line = JSON.parse(lines[0] ?? '{}');
    expect(line.url).toContain('state=xyz');
    expect(line.msg).toContain('state=xyz');
  });

  it('never modifies the object it was given', () => {
    const { logger } = capture();
    const fields = { code: SECRETS.code, nested: { access_token: SECRETS.access } };
    logger.info(fields, 'x');
    expect(fields).toEqual({ code: SECRETS.code, nested: { access_token: SECRETS.access } });
  });
});
