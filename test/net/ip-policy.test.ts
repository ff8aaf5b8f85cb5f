import { describe, expect, it } from 'vitest';
import { classifyIp, isPublicUnicastIp, parseIpHost } from '../../src/fetch/index.js';
import { nonPublicHostNameReason } from '../../src/net/host-policy.js';

describe('classifyIp', () => {
  it.each(['8.8.8.8', '1.1.1.1', '93.184.215.14', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e'])(
    '%s is public unicast',
    (ip) => {
      expect(classifyIp(ip)).toBe('unicast');
      expect(isPublicUnicastIp(ip)).toBe(true);
    },
  );

  // CIMD-AS-22: every IANA special-purpose range (RFC 6890) plus multicast, by sample address.
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'linkLocal'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.0.0.1', 'ietfProtocolAssignment'],
    ['192.0.2.1', 'documentation'],
    ['192.88.99.1', '6to4Relay'],
    ['192.168.1.1', 'private'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'broadcast'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['64:ff9b::808:808', 'rfc6052'],
    ['64:ff9b:1::1', 'rfc6052'],
    ['100::1', 'discard'],
    ['2001::1', 'teredo'],
    ['2001:2::1', 'benchmarking'],
    ['2001:1ff::1', 'ietfProtocolAssignment'],
    ['2001:db8::1', 'documentation'],
    ['2002:7f00:1::1', '6to4'],
    ['3fff::1', 'documentation'],
    ['fc00::1', 'uniqueLocal'],
    ['fd00::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['fe80::1%eth0', 'linkLocal'],
    ['ff02::1', 'multicast'],
    ['::7f00:1', 'reserved'],
    ['::ffff:0:7f00:1', 'rfc6145'],
    ['5f00::1', 'segmentRouting'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['::2', 'reserved'],
    ['4000::1', 'reserved'],
  ])('%s is not public (%s)', (ip, range) => {
    expect(classifyIp(ip)).toBe(range);
    expect(isPublicUnicastIp(ip)).toBe(false);
  });

  it('classifies inet_aton spellings of loopback as loopback', () => {
    for (const ip of ['127.1', '0x7f.1', '0177.0.0.1', '2130706433', '0x7f000001']) {
      expect(classifyIp(ip)).toBe('loopback');
    }
  });

  it.each(['', 'localhost', 'example.com', '[::1]', '1.2.3.4.5', '::g', '999.1.1.1'])(
    '%j is invalid',
    (value) => {
      expect(classifyIp(value)).toBe('invalid');
      expect(isPublicUnicastIp(value)).toBe(false);
    },
  );
});

describe('parseIpHost', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0X7F000001', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0177.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['%31%32%37.0.0.1', '127.0.0.1'],
    ['１２７.０.０.１', '127.0.0.1'],
    ['0xa9.0xfe.0xa9.0xfe', '169.254.169.254'],
    ['3232235777', '192.168.1.1'],
    ['[::1]', '::1'],
    ['[0:0:0:0:0:0:0:1]', '::1'],
    ['[::ffff:7f00:1]', '::ffff:7f00:1'],
    ['[::ffff:127.0.0.1]', '::ffff:7f00:1'],
    ['[2001:DB8::1]', '2001:db8::1'],
    ['::1', '::1'],
  ])('reads %j as %s', (host, ip) => {
    expect(parseIpHost(host)).toBe(ip);
  });

  it.each([
    'example.com',
    'localhost',
    'docs.cimd-example.dev',
    '1.2.3.4.5',
    '1.2.3.09',
    '4294967296',
    '[::1',
    '[localhost]',
    '127.0.0.1:443',
    'user@127.0.0.1',
    '127.0.0.1/x',
    '',
  ])('does not read %j as an IP', (host) => {
    expect(parseIpHost(host)).toBeUndefined();
  });

  it('agrees with the WHATWG URL parser on what it canonicalises', () => {
    for (const host of ['2130706433', '0x7f.1', '0177.0.0.1', '127.1', '[::ffff:127.0.0.1]']) {
      const hostname = new URL(`https://${host}/`).hostname;
      expect(parseIpHost(hostname)).toBe(parseIpHost(host));
    }
  });
});

describe('nonPublicHostNameReason', () => {
  it.each([
    'localhost',
    'LOCALHOST.',
    'app.localhost',
    'intranet',
    'printer.local',
    'docs.test',
    'x.invalid',
    'cimd.example',
    'metadata.google.internal',
    'nas.home.arpa',
    'abc.onion',
    'foo.alt',
    'localhost.localdomain',
  ])('refuses %s', (name) => {
    expect(nonPublicHostNameReason(name)).toBeTypeOf('string');
  });

  it.each(['docs.cimd-example.dev', 'example.com', 'vscode.dev', 'localhost.dev', 'test.example.org'])(
    'accepts %s',
    (name) => {
      expect(nonPublicHostNameReason(name)).toBeUndefined();
    },
  );
});
