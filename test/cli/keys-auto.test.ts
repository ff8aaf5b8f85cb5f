/**
 * `cimd keys status --max-age` and `cimd keys rotate --auto` (the built command as a subprocess)
 * against a real HTTPS loopback host that serves the JWKS last "published". A whole rotation is
 * driven by repeated --auto runs with `--now` moving the clock forward (no sleeping): each run does
 * at most the next due step, or nothing, and always exits 0.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpsHost, startHttpsHost } from '../helpers/https-host.js';
import { createTestCa, type TestCa } from '../helpers/test-ca.js';
import { DAY, HOUR, tempDir } from '../keys/fixtures.js';
import { runKeysHostCli } from './keys-host-cli.js';

/** Each test runs a dozen subprocesses of the CLI; a loaded machine needs more than the default. */
const SUBPROCESSES_TIMEOUT_MS = 120_000;

describe('cimd keys rotate --auto and status --max-age (the built command)', () => {
  const dir = tempDir('cimd-keys-auto-');
  let ca: TestCa;
  let host: HttpsHost;
  let env: Record<string, string>;
  let jwksUri: string;
  /** When the first key was generated: every --now is counted from it. */
  let start = 0;
  const at = (offsetMs: number) => new Date(start + offsetMs).toISOString();
  const file = (name: string) => join(dir.path, name);
  const read = (name: string) => readFileSync(file(name), 'utf8');
  const kids = (name: string) => (JSON.parse(read(name)).keys as { kid: string }[]).map((key) => key.kid);
  const publish = () => copyFileSync(file('auto/jwks.json'), file('auto/served.json'));
  const cimd = (args: string[]) => runKeysHostCli(args, { cwd: dir.path, env });
  const keys = ['--keys', 'auto/cimd-keys.json', '--allow-private-network'];
  const auto = (offsetMs: number, extra: string[] = []) =>
    cimd(['keys', 'rotate', '--auto', ...keys, '--now', at(offsetMs), ...extra]);

  beforeAll(async () => {
    ca = createTestCa();
    host = await startHttpsHost(ca);
    env = { NODE_EXTRA_CA_CERTS: ca.caCertPath };
    jwksUri = `${host.origin}/auto/jwks.json`;
    host.route('/auto/jwks.json', (_req, res) => {
      const path = file('auto/served.json');
      if (!existsSync(path)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(readFileSync(path));
    });
    const generated = await cimd(['keys', 'generate', '--out', 'auto/cimd-keys.json', '--jwks-uri', jwksUri]);
    expect(generated.code).toBe(0);
    start = Date.parse(JSON.parse(read('auto/cimd-keys.json')).keys[0].createdAt);
    publish();
  }, SUBPROCESSES_TIMEOUT_MS);
  afterAll(async () => {
    await host?.close();
    ca?.dispose();
    dir.remove();
  }, SUBPROCESSES_TIMEOUT_MS);

  it(
    'status warns about a current key past --max-age (90 days by default); only --strict exits 1',
    async () => {
      const [k1] = kids('auto/cimd-keys.json');
      const young = await cimd(['keys', 'status', ...keys, '--now', at(10 * DAY)]);
      expect(young.code).toBe(0);
      expect(young.stdout).toContain('all good');

      const old = await cimd(['keys', 'status', ...keys, '--now', at(91 * DAY)]);
      expect(old.code).toBe(0);
      expect(old.stdout).toContain(`! the current key ${k1} is 91 days old, past the maximum of 90 days`);
      expect(old.stdout).not.toContain('all good');
      const strict = await cimd(['keys', 'status', ...keys, '--now', at(91 * DAY), '--strict', '--json']);
      expect(strict.code).toBe(1);
      const report = JSON.parse(strict.stdout);
      expect(report.consistent).toBe(true);
      expect(report.currentKeyAge).toMatchObject({ kid: k1, maxAgeDays: 90, tooOld: true });
      expect(report.items[0]).toMatchObject({ level: 'warning', code: 'current-too-old', kid: k1 });

      const longer = await cimd([
        'keys',
        'status',
        ...keys,
        '--now',
        at(91 * DAY),
        '--max-age',
        '120',
        '--strict',
      ]);
      expect(longer.code).toBe(0);
      expect(longer.stdout).toContain('all good');
      const shorter = await cimd(['keys', 'status', ...keys, '--now', at(31 * DAY), '--max-age', '30']);
      expect(shorter.stdout).toContain('past the maximum of 30 days');
    },
    SUBPROCESSES_TIMEOUT_MS,
  );

  it(
    'a whole rotation over hourly --auto runs: stage, wait, promote once published, wait, retire',
    async () => {
      const [k1] = kids('auto/cimd-keys.json');
      const before = read('auto/cimd-keys.json');

      const early = await auto(10 * DAY);
      expect(early.code).toBe(0);
      expect(early.stderr).toMatch(
        new RegExp(
          `Nothing to do: the current key ${k1} is 10 days old; the next rotation is due at \\d{4}-`,
        ),
      );
      expect(read('auto/cimd-keys.json')).toBe(before);

      const staged = await auto(91 * DAY, ['--json']);
      expect(staged.code).toBe(0);
      const stagedOutcome = JSON.parse(staged.stdout);
      expect(stagedOutcome).toMatchObject({ auto: true, step: 'stage', alg: 'ES256', jwksUri });
      const k2 = stagedOutcome.kid as string;
      expect(staged.stderr).toContain(
        `Staged the next key ${k2} (ES256): the current key is 91 days old (maximum 90)`,
      );
      expect(staged.stderr).toContain(`Next: publish auto/jwks.json at ${jwksUri}`);
      expect(kids('auto/jwks.json')).toEqual([k1, k2]);

      // Run again before the JWKS is published: nothing happens, twice.
      for (const hour of [1, 2]) {
        const snapshot = read('auto/cimd-keys.json');
        const waiting = await auto(91 * DAY + hour * HOUR);
        expect(waiting.code).toBe(0);
        expect(waiting.stderr).toContain(
          `Nothing to do: the next key ${k2} is not published yet at ${jwksUri}`,
        );
        expect(read('auto/cimd-keys.json')).toBe(snapshot);
      }

      publish();
      const promoted = await auto(91 * DAY + 3 * HOUR, ['--json']);
      expect(promoted.code).toBe(0);
      const promotedOutcome = JSON.parse(promoted.stdout);
      expect(promotedOutcome).toMatchObject({ step: 'promote', kid: k2, previous: k1 });
      expect(Date.parse(promotedOutcome.retireAfter)).toBe(start + 92 * DAY + 3 * HOUR + 60_000);
      const afterPromotion = JSON.parse(read('auto/cimd-keys.json'));
      expect(afterPromotion.keys.map((key: { kid: string; state: string }) => [key.kid, key.state])).toEqual([
        [k2, 'current'],
        [k1, 'previous'],
      ]);

      const inGrace = await auto(91 * DAY + 4 * HOUR);
      expect(inGrace.code).toBe(0);
      expect(inGrace.stderr).toContain(
        `Nothing to do: the previous key ${k1} may be retired after ${promotedOutcome.retireAfter}`,
      );

      const retired = await auto(93 * DAY, ['--json']);
      expect(retired.code).toBe(0);
      expect(JSON.parse(retired.stdout)).toMatchObject({ step: 'retire', retired: [k1] });
      expect(kids('auto/jwks.json')).toEqual([k2]);
      publish();

      const idle = await auto(93 * DAY + HOUR);
      expect(idle.code).toBe(0);
      expect(idle.stderr).toContain(`Nothing to do: the current key ${k2} is 2 days old`);
      const status = await cimd(['keys', 'status', ...keys, '--now', at(93 * DAY + HOUR), '--strict']);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('all good');
    },
    SUBPROCESSES_TIMEOUT_MS,
  );

  it(
    'errors exit 2: a jwks_uri that cannot be fetched while a key waits, --auto with another step, --max-age without --auto',
    async () => {
      const staged = await cimd([
        'keys',
        'generate',
        '--out',
        'gone/cimd-keys.json',
        '--jwks-uri',
        `${host.origin}/gone/jwks.json`,
      ]);
      expect(staged.code).toBe(0);
      const gone = ['--keys', 'gone/cimd-keys.json', '--allow-private-network'];
      expect(
        (await cimd(['keys', 'rotate', '--auto', ...gone, '--max-age', '1', '--now', at(2 * DAY)])).code,
      ).toBe(0);
      const unreachable = await cimd(['keys', 'rotate', '--auto', ...gone, '--now', at(2 * DAY)]);
      expect(unreachable.code).toBe(2);
      expect(unreachable.stderr).toContain('could not fetch the JWKS');

      const both = await cimd(['keys', 'rotate', '--auto', '--stage', ...gone]);
      expect(both.code).toBe(2);
      expect(both.stderr).toContain('choose one step');
      const stray = await cimd(['keys', 'rotate', '--stage', '--max-age', '30', ...gone]);
      expect(stray.code).toBe(2);
      expect(stray.stderr).toContain('--max-age and --now go with --auto');
      const badAge = await cimd(['keys', 'status', ...gone, '--max-age', '0']);
      expect(badAge.code).not.toBe(0);
      expect(badAge.stderr).toContain('expected a number of days');
    },
    SUBPROCESSES_TIMEOUT_MS,
  );
});
