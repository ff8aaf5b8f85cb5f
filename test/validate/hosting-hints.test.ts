/**
 * `cimd validate` names the usual hosting mistakes (issue 12, item 5): each response below is
 * served by a real HTTPS host on loopback (the test CA) and fetched through the SSRF-safe fetcher,
 * as `validateClientMetadataUrl` does: `text/plain` (a raw file host by name, and any other host),
 * redirects (trailing slash, another host name, a sign-in page), CDN bot walls answering 403/503
 * with a challenge page, and HTML where JSON was expected. A failure that is none of these gets
 * no hint.
 */
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSafeFetcher, type SafeFetcher } from '../../src/fetch/index.js';
import { type HttpsHost, startHttpsHost, type TestCa } from '../../src/testing/index.js';
import { createTestCa } from '../../src/testing/test-ca.js';
import { validateClientMetadataUrl } from '../../src/validate/index.js';

const RAW_HOST = 'raw.githubusercontent.com';
const CHALLENGE_PAGE =
  '<!DOCTYPE html><html><head><title>Just a moment...</title></head><body></body></html>';

describe('cimd validate: hosting hints', () => {
  let ca: TestCa;
  let host: HttpsHost;
  let fetcher: SafeFetcher;

  const answer =
    (status: number, headers: Record<string, string>, body = '') =>
    (_req: unknown, res: ServerResponse) => {
      res.writeHead(status, headers).end(body);
    };
  const document = (url: string) =>
    JSON.stringify({
      client_id: url,
      client_name: 'Hints Client',
      redirect_uris: ['http://127.0.0.1/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    });
  const validate = (url: string) => validateClientMetadataUrl(url, { allowPrivateNetwork: true, fetcher });

  beforeAll(async () => {
    ca = createTestCa({ extraNames: [RAW_HOST] });
    host = await startHttpsHost(ca);
    // The raw file host's name resolves to this machine, where the test host answers for it.
    fetcher = createSafeFetcher({
      allowPrivateNetwork: true,
      ca: ca.caCert,
      resolver: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    const at = (path: string) => `${host.origin}${path}`;
    host.route(
      '/plain.json',
      answer(200, { 'content-type': 'text/plain; charset=utf-8' }, document(at('/plain.json'))),
    );
    host.route(
      '/org/repo/main/client.json',
      answer(200, { 'content-type': 'text/plain; charset=utf-8' }, '{}'),
    );
    host.route('/oauth/client', answer(301, { location: '/oauth/client/' }));
    host.route('/moved/client.json', answer(301, { location: 'https://www.example.com/moved/client.json' }));
    host.route(
      '/private/client.json',
      answer(302, { location: 'https://team.cloudflareaccess.com/cdn-cgi/access/login/app.example.com' }),
    );
    host.route(
      '/challenge.json',
      answer(
        403,
        { 'content-type': 'text/html; charset=UTF-8', server: 'cloudflare', 'cf-mitigated': 'challenge' },
        CHALLENGE_PAGE,
      ),
    );
    host.route(
      '/under-attack.json',
      answer(503, { 'content-type': 'text/html; charset=UTF-8', server: 'cloudflare' }, CHALLENGE_PAGE),
    );
    host.route('/forbidden.json', answer(403, { 'content-type': 'text/plain' }, 'forbidden'));
    host.route(
      '/s3/client.json',
      answer(
        403,
        { 'content-type': 'application/xml', server: 'AmazonS3', 'x-cache': 'Error from cloudfront' },
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code></Error>',
      ),
    );
    host.route(
      '/spa.json',
      answer(200, { 'content-type': 'text/html' }, '<!doctype html><div id="root"></div>'),
    );
    host.route('/html-as-json.json', answer(200, { 'content-type': 'application/json' }, CHALLENGE_PAGE));
  });
  afterAll(async () => {
    await fetcher?.close();
    await host?.close();
    ca?.dispose();
  });

  it('text/plain from a raw file host names the host and says to publish where Content-Type can be set', async () => {
    const report = await validate(`https://${RAW_HOST}:${host.port}/org/repo/main/client.json`);
    expect(report.findings.map((finding) => finding.id)).toContain('CIMD-DOC-04');
    expect(report.hint?.id).toBe('raw-file-host');
    expect(report.hint?.message).toContain(RAW_HOST);
    expect(report.hint?.message).toContain('application/json');
  });

  it('text/plain from another host says raw file hosts do this and how to set the header', async () => {
    const report = await validate(`${host.origin}/plain.json`);
    expect(report.valid).toBe(false);
    expect(report.hint?.id).toBe('content-type');
    expect(report.hint?.message).toMatch(/raw\.githubusercontent\.com/);
    expect(report.hint?.message).toMatch(/_headers, vercel\.json, netlify\.toml/);
  });

  it('a redirect that adds a trailing slash is named as such', async () => {
    const report = await validate(`${host.origin}/oauth/client`);
    expect(report.checked).toBe(false);
    expect(report.problem?.code).toBe('ERR_FETCH_REDIRECT');
    expect(report.hint?.id).toBe('redirect-trailing-slash');
    expect(report.hint?.message).toContain('adds a trailing slash');
  });

  it('a redirect to another host name says to use the final URL as client_id', async () => {
    const report = await validate(`${host.origin}/moved/client.json`);
    expect(report.hint?.id).toBe('redirect-host');
    expect(report.hint?.message).toContain('www.example.com');
  });

  it('a redirect to a sign-in page (Cloudflare Access) says to make the path public', async () => {
    const report = await validate(`${host.origin}/private/client.json`);
    expect(report.hint?.id).toBe('redirect-sign-in');
    expect(report.hint?.message).toContain('team.cloudflareaccess.com');
  });

  it("Cloudflare's challenge (403, cf-mitigated: challenge, HTML) is named a bot wall with the WAF fix", async () => {
    const report = await validate(`${host.origin}/challenge.json`);
    expect(report.problem?.code).toBe('ERR_FETCH_STATUS');
    expect(report.hint?.id).toBe('bot-wall');
    expect(report.hint?.message).toContain('cf-mitigated: challenge');
    expect(report.hint?.message).toMatch(/WAF/);
  });

  it('a 503 HTML page from server: cloudflare is a bot wall too', async () => {
    const report = await validate(`${host.origin}/under-attack.json`);
    expect(report.hint?.id).toBe('bot-wall');
  });

  it("S3's 403 AccessDenied (through CloudFront) says the object is private or missing", async () => {
    const report = await validate(`${host.origin}/s3/client.json`);
    expect(report.hint?.id).toBe('private-object');
    expect(report.hint?.message).toMatch(/bucket policy/);
  });

  it('a plain 403 from no CDN gets no hint (only the status advice)', async () => {
    const report = await validate(`${host.origin}/forbidden.json`);
    expect(report.problem?.code).toBe('ERR_FETCH_STATUS');
    expect(report.hint).toBeUndefined();
  });

  it('an HTML page served as text/html is named: SPA fallback or a missing file', async () => {
    const report = await validate(`${host.origin}/spa.json`);
    expect(report.hint?.id).toBe('html-body');
    expect(report.hint?.message).toMatch(/index\.html/);
  });

  it('an HTML body served as application/json is named the same way', async () => {
    const report = await validate(`${host.origin}/html-as-json.json`);
    expect(report.findings.map((finding) => finding.id)).toContain('CIMD-DOC-02');
    expect(report.hint?.id).toBe('html-body');
  });

  it('a valid document gets no hint', async () => {
    host.route(
      '/good.json',
      answer(200, { 'content-type': 'application/json' }, document(`${host.origin}/good.json`)),
    );
    const report = await validate(`${host.origin}/good.json`);
    expect(report.valid).toBe(true);
    expect(report.hint).toBeUndefined();
  });
});
