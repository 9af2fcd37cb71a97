/**
 * The SVCB/HTTPS RDATA parser and reply decoder (src/net/svcb.ts): the wire-format test vectors of
 * RFC 9460 Appendix D (D.1, D.2 figures 2-9), wire-format versions of the D.3 failure cases that
 * exist on the wire (a repeated key; empty values that must not be empty; a value where none is
 * allowed), and the defensive cases (compression pointer, cut bytes, keys out of order).
 */
import { describe, expect, it } from 'vitest';
import dnsPacket from 'dns-packet';
import { decodeHttpsReply, encodeHttpsQuery, parseSvcbRdata } from '../../../src/net/svcb.js';

/** Hex with spaces and `;` comments (the RFC's layout) to bytes. */
function hex(s: string): Buffer {
  return Buffer.from(
    s
      .split('\n')
      .map((l) => l.replace(/;.*$/, ''))
      .join('')
      .replace(/\s+/g, ''),
    'hex',
  );
}

const FOO_EXAMPLE_COM = '03 66 6f 6f 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00';
const FOO_EXAMPLE_ORG = '03 66 6f 6f 07 65 78 61 6d 70 6c 65 03 6f 72 67 00';

describe('parseSvcbRdata: RFC 9460 Appendix D vectors', () => {
  it('D.1 AliasMode: priority 0, target foo.example.com.', () => {
    expect(parseSvcbRdata(hex(`00 00 ${FOO_EXAMPLE_COM}`))).toEqual({ priority: 0, target: 'foo.example.com.', alpn: [], port: null, echBytes: null });
  });

  it('D.2 figure 2: priority 1, target "." (the owner name)', () => {
    expect(parseSvcbRdata(hex('00 01 00'))).toEqual({ priority: 1, target: '.', alpn: [], port: null, echBytes: null });
  });

  it('D.2 figure 3: port=53', () => {
    expect(parseSvcbRdata(hex(`00 10 ${FOO_EXAMPLE_COM} 00 03 00 02 00 35`))).toMatchObject({ priority: 16, target: 'foo.example.com.', port: 53 });
  });

  it('D.2 figures 4 and 5: an unregistered key (key667) is skipped', () => {
    expect(parseSvcbRdata(hex(`00 01 ${FOO_EXAMPLE_COM} 02 9b 00 05 68 65 6c 6c 6f`))).toMatchObject({ priority: 1, alpn: [], echBytes: null });
    expect(parseSvcbRdata(hex(`00 01 ${FOO_EXAMPLE_COM} 02 9b 00 09 68 65 6c 6c 6f d2 71 6f 6f`))).toMatchObject({ priority: 1 });
  });

  it('D.2 figures 6 and 7: ipv6hint with two addresses and with one', () => {
    const two = `00 01 ${FOO_EXAMPLE_COM} 00 06 00 20
      20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01
      20 01 0d b8 00 00 00 00 00 00 00 00 00 53 00 01`;
    expect(parseSvcbRdata(hex(two))).toMatchObject({ priority: 1, target: 'foo.example.com.' });
    const one = '00 01 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 06 00 10 20 01 0d b8 01 22 03 44 00 00 00 00 c0 00 02 21';
    expect(parseSvcbRdata(hex(one))).toMatchObject({ priority: 1, target: 'example.com.' });
  });

  it('D.2 figure 8: mandatory, alpn=h2,h3-19 and ipv4hint, sorted on the wire', () => {
    const v = `00 10 ${FOO_EXAMPLE_ORG}
      00 00 00 04 00 01 00 04          ; mandatory=alpn,ipv4hint
      00 01 00 09 02 68 32 05 68 33 2d 31 39 ; alpn=h2,h3-19
      00 04 00 04 c0 00 02 01          ; ipv4hint=192.0.2.1`;
    expect(parseSvcbRdata(hex(v))).toEqual({ priority: 16, target: 'foo.example.org.', alpn: ['h2', 'h3-19'], port: null, echBytes: null });
  });

  it('D.2 figure 9: alpn ids with a backslash and a comma are escaped', () => {
    const v = `00 10 ${FOO_EXAMPLE_ORG} 00 01 00 0c 08 66 5c 6f 6f 2c 62 61 72 02 68 32`;
    expect(parseSvcbRdata(hex(v))).toMatchObject({ alpn: ['f\\\\oo\\,bar', 'h2'] });
  });
});

describe('parseSvcbRdata: malformed records (D.3 on the wire, and defensive cases) are null', () => {
  const cases: Record<string, string> = {
    'a repeated key (D.3: key123=abc key123=def)': `00 01 ${FOO_EXAMPLE_COM} 00 7b 00 03 61 62 63 00 7b 00 03 64 65 66`,
    'keys out of order': `00 01 00 00 03 00 02 00 35 00 01 00 03 02 68 32`,
    'an empty mandatory (D.3)': `00 01 ${FOO_EXAMPLE_COM} 00 00 00 00`,
    'an empty alpn (D.3)': `00 01 ${FOO_EXAMPLE_COM} 00 01 00 00`,
    'an empty port (D.3)': `00 01 ${FOO_EXAMPLE_COM} 00 03 00 00`,
    'an empty ipv4hint (D.3)': `00 01 ${FOO_EXAMPLE_COM} 00 04 00 00`,
    'an empty ipv6hint (D.3)': `00 01 ${FOO_EXAMPLE_COM} 00 06 00 00`,
    'no-default-alpn with a value (D.3)': `00 01 ${FOO_EXAMPLE_COM} 00 02 00 03 61 62 63`,
    'an empty ech': '00 01 00 00 05 00 00',
    'an alpn id that overruns its value': '00 01 00 00 01 00 03 05 68 33',
    'an empty alpn id': '00 01 00 00 01 00 03 00 02 68 32',
    'a param length past the end': '00 01 00 00 05 00 09 01 02',
    'a cut param header': '00 01 00 00 05 00',
    'a compression pointer as target': '00 01 c0 0c',
    'a cut target name': '00 01 03 66 6f',
    'a label over 63 bytes (reserved type 0x40)': '00 01 40 00',
    'only a priority': '00 01',
    'nothing': '',
  };
  for (const [what, bytes] of Object.entries(cases)) {
    it(what, () => {
      expect(parseSvcbRdata(hex(bytes))).toBeNull();
    });
  }

  it('a name over 255 bytes', () => {
    const label = `3f ${'61 '.repeat(63)}`;
    expect(parseSvcbRdata(hex(`00 01 ${label.repeat(4)} 00`))).toBeNull();
  });

  it('AliasMode ignores whatever params follow (RFC 9460 section 2.4.2)', () => {
    expect(parseSvcbRdata(hex(`00 00 ${FOO_EXAMPLE_COM} 00 05 00 00 ff`))).toMatchObject({ priority: 0, target: 'foo.example.com.', echBytes: null });
  });
});

describe('parseSvcbRdata: ech and alpn', () => {
  it('records the ech length and the alpn ids', () => {
    const v = '00 01 00 00 01 00 06 02 68 32 02 68 33 00 05 00 04 de ad be ef';
    expect(parseSvcbRdata(hex(v))).toEqual({ priority: 1, target: '.', alpn: ['h2', 'h3'], port: null, echBytes: 4 });
  });

  it('keeps at most 8 alpn ids and still checks the others', () => {
    const ids = [...Array.from({ length: 9 }, () => '02 68 32'), '02 68 33'].join(' ');
    const len = (10 * 3).toString(16).padStart(4, '0');
    const r = parseSvcbRdata(hex(`00 01 00 00 01 ${len.slice(0, 2)} ${len.slice(2)} ${ids}`));
    expect(r?.alpn).toHaveLength(8);
    expect(r?.alpn).toEqual(Array.from({ length: 8 }, () => 'h2'));
    // An overrunning 10th id still makes the record malformed.
    expect(parseSvcbRdata(hex(`00 01 00 00 01 ${len.slice(0, 2)} ${len.slice(2)} ${ids.slice(0, -8)}05 68 33`))).toBeNull();
  });

  it('renders non-printable bytes as \\DDD', () => {
    expect(parseSvcbRdata(hex('00 01 02 61 00 00 00 01 00 03 02 68 ff'))).toMatchObject({ target: 'a\\000.', alpn: ['h\\255'] });
  });
});

/** A reply to an HTTPS query for `qname` with the given answers (`rdata` as raw bytes). */
function reply(qname: string, answers: Array<{ name: string; type: 'CNAME'; data: string } | { name: string; type: 'HTTPS'; data: Buffer }>, rcode = 0, flags = 0): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: 4242,
    flags: dnsPacket.RECURSION_AVAILABLE | rcode | flags,
    questions: [{ type: 'UNKNOWN_65' as dnsPacket.RecordType, name: qname, class: 'IN' }],
    answers: answers.map((a) => (a.type === 'CNAME' ? { ...a, ttl: 60 } : ({ name: a.name, type: 'UNKNOWN_65', ttl: 60, data: a.data } as unknown as dnsPacket.Answer))),
  });
}

const ECH_H3 = hex('00 01 00 00 01 00 06 02 68 32 02 68 33 00 05 00 04 de ad be ef');

describe('decodeHttpsReply', () => {
  it('parses the records of the queried name', () => {
    const r = decodeHttpsReply(reply('www.example.com', [{ name: 'www.example.com', type: 'HTTPS', data: ECH_H3 }]), 'www.example.com');
    expect(r).toMatchObject({ id: 4242, rcode: 0, failure: null, malformed: 0, truncated: false });
    expect(r?.records).toEqual([{ priority: 1, target: '.', alpn: ['h2', 'h3'], port: null, echBytes: 4 }]);
  });

  it('follows a CNAME chain of the answer section, and ignores records of other owners', () => {
    const r = decodeHttpsReply(
      reply('www.example.com', [
        { name: 'www.example.com', type: 'CNAME', data: 'a.cdn.example' },
        { name: 'a.cdn.example', type: 'CNAME', data: 'b.cdn.example' },
        { name: 'other.example', type: 'HTTPS', data: hex('00 01 00') },
        { name: 'B.cdn.example', type: 'HTTPS', data: ECH_H3 },
      ]),
      'WWW.example.com.',
    );
    expect(r?.records.map((x) => x.echBytes)).toEqual([4]);
  });

  it('counts malformed records and ignores them; none usable is dns_no_answer', () => {
    const r = decodeHttpsReply(reply('x.example', [{ name: 'x.example', type: 'HTTPS', data: hex('00 01 c0 0c') }]), 'x.example');
    expect(r).toMatchObject({ records: [], malformed: 1, failure: 'dns_no_answer' });
  });

  it('maps rcodes to failures and keeps the TC bit', () => {
    expect(decodeHttpsReply(reply('x.example', [], 3), 'x.example')?.failure).toBe('dns_nxdomain_error');
    expect(decodeHttpsReply(reply('x.example', [], 2), 'x.example')?.failure).toBe('dns_servfail_error');
    expect(decodeHttpsReply(reply('x.example', [], 5), 'x.example')?.failure).toBe('dns_refused_error');
    expect(decodeHttpsReply(reply('x.example', [], 4), 'x.example')?.failure).toBe('dns_server_misbehaving');
    expect(decodeHttpsReply(reply('x.example', [], 0, dnsPacket.TRUNCATED_RESPONSE), 'x.example')).toMatchObject({ truncated: true, failure: 'dns_no_answer' });
  });

  it('rejects a query, garbage and a cut reply', () => {
    expect(decodeHttpsReply(encodeHttpsQuery('x.example', 1), 'x.example')).toBeNull();
    expect(decodeHttpsReply(Buffer.from([1, 2, 3]), 'x.example')).toBeNull();
    const good = reply('x.example', [{ name: 'x.example', type: 'HTTPS', data: ECH_H3 }]);
    expect(decodeHttpsReply(good.subarray(0, good.length - 3), 'x.example')).toBeNull();
  });
});

describe('encodeHttpsQuery', () => {
  it('asks type 65, class IN, RD, with an EDNS(0) OPT of 1232 bytes', () => {
    const q = dnsPacket.decode(encodeHttpsQuery('www.example.com', 7));
    expect(q.id).toBe(7);
    expect(q.questions).toEqual([{ name: 'www.example.com', type: 'UNKNOWN_65', class: 'IN' }]);
    expect((q.flags ?? 0) & dnsPacket.RECURSION_DESIRED).not.toBe(0);
    expect(q.additionals?.[0]).toMatchObject({ type: 'OPT', udpPayloadSize: 1232 });
  });
});
