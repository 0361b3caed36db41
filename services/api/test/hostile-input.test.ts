import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import request, { type Response } from 'supertest';
import { z } from 'zod';
import { accountKeys } from '#shared/storage/redis/keys';
import { RUN_MYSQL_URL } from '#shared/testing/test-environment';
import { randomName, registrationBody, startTestApi, type TestAccount, type TestApi } from '#shared/testing/test-api';
import { withoutLease } from '#shared/testing/without-lease';

/**
 * Malformed and hostile requests, one table row each: the status, the exact
 * cause (code, message from the contract, `details.field` for
 * INCORRECT_PARAMETER) and what every answer must have: an `x-request-id`,
 * no stack trace or SQL text, never a 500. Well-formed but odd strings (SQL,
 * RESP and Lua fragments, hash tags, prototype keys) are only data: they get
 * their documented cause, or succeed with the right credentials. After the
 * table, both stores are shown to be intact.
 */

/** The contract's messages, written out here (not imported) so a drifted catalogue fails this file. */
const MESSAGES = {
  INCORRECT_DATA_FORMAT: 'Incorrect Data Format',
  INCORRECT_PARAMETER: 'Incorrect Parameter',
  UNAUTHORIZED_ACCOUNT: 'Unauthorized Account and Password',
  VERSION_MISMATCH: 'Version Mismatch',
  LICENSE_FILE_FORMAT_INCORRECT: 'License file format is incorrect.',
  IP_NOT_ALLOWED: 'The IP address is not within the allowed range.',
  NOT_BOUND: 'This machine is not authorized and does not need to be unbound.',
} as const;

type Code = keyof typeof MESSAGES;
type NodeCode = 'IP_NOT_ALLOWED' | 'NOT_BOUND';
const NODE_CODES: readonly Code[] = ['IP_NOT_ALLOWED', 'NOT_BOUND'];

type Body = Record<string, unknown>;

interface Fixture {
  /** active, certificate 11.0, seats enough for every successful row */
  account: TestAccount;
  /** its password is exactly 72 bytes of multi-byte UTF-8 */
  multiByte: TestAccount;
  /** allowedIps 203.0.113.0/24 */
  restricted: TestAccount;
  /** two machines of `account`, bound before the table runs */
  bound: Array<{ nodeId: string; machineCode: string; token: string }>;
  /** a machine of `account` bound for the one unbinding that succeeds */
  unbindable: { nodeId: string; machineCode: string };
}

interface ExpectedNode {
  nodeId?: string;
  machineCode: string;
  causes: NodeCode[];
}

interface Row {
  name: string;
  route: string;
  /** POST unless given */
  method?: 'get' | 'put' | 'patch' | 'delete' | 'options';
  /** sent as JSON text */
  body?: (f: Fixture) => unknown;
  /** sent as is, for bodies JSON.stringify cannot write */
  rawBody?: string | Buffer | ((f: Fixture) => string);
  /** application/json unless given */
  contentType?: string;
  headers?: Record<string, string>;
  status: number;
  /** null: the request succeeds */
  code: Code | null;
  /** INCORRECT_PARAMETER's `details.field` */
  field?: string;
  /** other overall causes' details */
  details?: Record<string, string>;
  /** node causes, exactly as answered */
  nodes?: (f: Fixture) => ExpectedNode[];
  unbound?: string[];
  /** the Allow header of a 405 */
  allow?: string;
  /** the exact success body (unbindings, verifications); registrations are checked against both stores */
  exact?: (f: Fixture) => unknown;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LEAK = /at .*\(|SELECT|INSERT|Error:/;
/** Binding tokens carry an opaque account part (shared/security/binding-token.ts). */
const TOKEN = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{32}$/;
const MIB = 1024 * 1024;

const SQL_OR = "' OR 1=1 --";
const SQL_DROP = '"; DROP TABLE accounts; --';
const SQL_UNION = "x' UNION SELECT password_hash FROM accounts --";
const RESP_FLUSHALL = '\r\nFLUSHALL\r\n';
const LUA_FLUSHALL = "]] redis.call('FLUSHALL') --[[";
const HASH_TAG = '{acct:1}';
const LONE_HIGH = '\ud800';
const LONE_LOW = '\udc00';

/** 72 bytes of UTF-8 in 25 characters: 1 + 23 × 3 + 2. */
const PASSWORD_72_BYTES = `p${'€'.repeat(23)}é`;
const DOMAIN_253 = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(61)].join('.');
const DOMAIN_254 = ['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(62)].join('.');

// ---- body builders ------------------------------------------------------

/** A valid one-node registration of `f.account` with fresh machine codes, `top` and `node` patched in. */
const reg = (f: Fixture, top: Body = {}, node: Body = {}): Body => ({ ...registrationBody(f.account, 1, { node: () => node }), ...top });
const regAs = (account: TestAccount, top: Body = {}, node: Body = {}): Body => ({
  ...registrationBody(account, 1, { node: () => node }),
  ...top,
});
const regNodes = (f: Fixture, count: number, node: (index: number) => Body = () => ({})): Body =>
  registrationBody(f.account, count, { node });

function omit(object: object, key: string): Body {
  return Object.fromEntries(Object.entries(object).filter(([name]) => name !== key));
}

const regWithout = (f: Fixture, key: string): Body => omit(reg(f), key);
function regNodeWithout(f: Fixture, key: string): Body {
  const body = registrationBody(f.account, 1);
  return { ...body, nodes: body.nodes.map((node) => omit(node, key)) };
}

/** JSON text with raw members spliced in first: the only way to send an own `__proto__` key. */
const withRawMembers = (body: object, members: string): string => `{${members},${JSON.stringify(body).slice(1)}`;
const withRawNodeMembers = (body: object, members: string): string => JSON.stringify(body).replace('"nodes":[{', `"nodes":[{${members},`);

/** A machine code of exactly `length` code points, new to the account. */
function freshCode(length: number, filler = 'x'): string {
  const prefix = randomName('m');
  return prefix + filler.repeat(length - prefix.length);
}

const unbinding = (account: TestAccount, nodes: unknown, top: Body = {}): Body => ({
  account: account.name,
  password: account.password,
  nodes,
  ...top,
});
const stranger = (index: number) => ({ nodeId: `n-${index}`, machineCode: `never-bound-${index}` });
const strangers = (count: number) => Array.from({ length: count }, (_, index) => stranger(index));
const overLimit = (body: object, bytes: number): string => JSON.stringify({ ...body, pad: 'x'.repeat(bytes) });

// ---- the table ------------------------------------------------------------

const REG = '/v1/registrations';
const UNB = '/v1/unbindings';
const VER = '/v1/verifications';

const param = (name: string, body: (f: Fixture) => unknown, field: string): Row => ({
  name,
  route: REG,
  body,
  status: 400,
  code: 'INCORRECT_PARAMETER',
  field,
});
const format = (name: string, body: (f: Fixture) => unknown): Row => ({
  name,
  route: REG,
  body,
  status: 400,
  code: 'INCORRECT_DATA_FORMAT',
});
const rawFormat = (name: string, rawBody: Row['rawBody'], extra: Partial<Row> = {}): Row => ({
  name,
  route: REG,
  rawBody,
  status: 400,
  code: 'INCORRECT_DATA_FORMAT',
  ...extra,
});
const unauthorized = (name: string, body: (f: Fixture) => unknown): Row => ({
  name,
  route: REG,
  body,
  status: 401,
  code: 'UNAUTHORIZED_ACCOUNT',
});
const registers = (name: string, body: (f: Fixture) => unknown, extra: Partial<Row> = {}): Row => ({
  name,
  route: REG,
  body,
  status: 200,
  code: null,
  ...extra,
});
const badIp = (ip: string): Row => param(`ip ${JSON.stringify(ip)} is not an address`, (f) => reg(f, {}, { ip }), 'nodes[0].ip');
const goodIp = (name: string, ip: string): Row => registers(`${name} ${ip} is accepted`, (f) => reg(f, {}, { ip }));
const badDomain = (name: string, domain: string): Row =>
  param(`domain ${name} is not a host name`, (f) => reg(f, {}, { domain }), 'nodes[0].domain');
const badMac = (mac: string): Row => param(`mac ${JSON.stringify(mac)} is not a MAC address`, (f) => reg(f, {}, { mac }), 'nodes[0].mac');

const registrationRows: Row[] = [
  // Not JSON at all.
  rawFormat('a form-encoded body', 'account=acme&password=x'),
  rawFormat('a truncated object', '{"account":"acme",'),
  rawFormat('single-quoted JSON', "{'account':'acme'}"),
  rawFormat('garbage after a valid object', (f) => `${JSON.stringify(reg(f))}x`),
  rawFormat('two objects back to back', (f) => JSON.stringify(reg(f)) + JSON.stringify(reg(f))),
  rawFormat('bytes that are not UTF-8', Buffer.concat([Buffer.from('{"account":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')])),
  rawFormat('an empty body', ''),
  rawFormat('a spoofed x-request-id header on a bad body (the answer carries its own id)', 'nope', {
    headers: { 'x-request-id': SQL_DROP },
  }),
  // JSON, but not an object of the shape.
  rawFormat('the JSON number 42', '42'),
  rawFormat('the JSON string "acme"', '"acme"'),
  rawFormat('the JSON literal true', 'true'),
  rawFormat('the JSON literal null', 'null'),
  rawFormat('an empty JSON array', '[]'),
  rawFormat('the valid body wrapped in an array', (f) => JSON.stringify([reg(f)])),
  rawFormat('500 000 nested arrays', `${'['.repeat(500_000)}${']'.repeat(500_000)}`),
  rawFormat('a number beyond double range as account', '{"account":1e999999,"password":"x","appVersion":"11.0","nodes":[]}'),
  format('an empty object', () => ({})),
  // Wrong types, field by field.
  format('account is a number', (f) => reg(f, { account: 42 })),
  format('account is null', (f) => reg(f, { account: null })),
  format('password is a boolean', (f) => reg(f, { password: true })),
  format('password is an array', (f) => reg(f, { password: [f.account.password] })),
  format('appVersion is an object', (f) => reg(f, { appVersion: { major: 11 } })),
  format('appVersion is a number', (f) => reg(f, { appVersion: 11.0 })),
  format('nodes is one node object, not an array', (f) => reg(f, { nodes: registrationBody(f.account, 1).nodes[0] })),
  format('nodes is a string', (f) => reg(f, { nodes: 'node-1' })),
  format('nodes is null', (f) => reg(f, { nodes: null })),
  format('nodes is an array-like object', (f) => reg(f, { nodes: { 0: registrationBody(f.account, 1).nodes[0], length: 1 } })),
  format('a node is a string', (f) => reg(f, { nodes: ['node-1'] })),
  format('a node is null', (f) => reg(f, { nodes: [null] })),
  format('a node is an array', (f) => reg(f, { nodes: [[]] })),
  format('the second node is a number', (f) => reg(f, { nodes: [...registrationBody(f.account, 1).nodes, 42] })),
  format('nodeId is a number', (f) => reg(f, {}, { nodeId: 1 })),
  format('ip is an integer', (f) => reg(f, {}, { ip: 3405803783 })),
  format('ip is an array of octets', (f) => reg(f, {}, { ip: [203, 0, 113, 7] })),
  format('domain is a number', (f) => reg(f, {}, { domain: 42 })),
  format('domain is an object', (f) => reg(f, {}, { domain: { name: 'report.acme.com' } })),
  format('appName is an array', (f) => reg(f, {}, { appName: ['webroot'] })),
  format('machineCode is null', (f) => reg(f, {}, { machineCode: null })),
  format('machineCode is a boolean', (f) => reg(f, {}, { machineCode: true })),
  format('mac is a number', (f) => reg(f, {}, { mac: 0x001a2b3c4d5e })),
  format('mac is a boolean', (f) => reg(f, {}, { mac: false })),
  format('a wrong type wins over an empty string (format before parameters)', (f) => reg(f, { account: '', password: 5 })),
  // Missing required fields.
  format('account is missing', (f) => regWithout(f, 'account')),
  format('password is missing', (f) => regWithout(f, 'password')),
  format('appVersion is missing', (f) => regWithout(f, 'appVersion')),
  format('nodes is missing', (f) => regWithout(f, 'nodes')),
  format('nodeId is missing', (f) => regNodeWithout(f, 'nodeId')),
  format('ip is missing', (f) => regNodeWithout(f, 'ip')),
  format('appName is missing', (f) => regNodeWithout(f, 'appName')),
  format('machineCode is missing', (f) => regNodeWithout(f, 'machineCode')),
  registers('domain and mac are optional', (f) => ({
    ...reg(f),
    nodes: registrationBody(f.account, 1).nodes.map((node) => omit(omit(node, 'domain'), 'mac')),
  })),
  // How many nodes.
  param('nodes is empty', (f) => reg(f, { nodes: [] }), 'nodes'),
  param('257 nodes', (f) => regNodes(f, 257), 'nodes'),
  registers('256 nodes', (f) => regNodes(f, 256)),
  // Lengths, at the limit and one past it.
  unauthorized('account of 128 characters (well-formed: no such account)', () => ({ ...reg(FAKE), account: 'a'.repeat(128) })),
  param('account of 129 characters', (f) => reg(f, { account: 'a'.repeat(129) }), 'account'),
  unauthorized('account of 128 emoji (128 code points, 256 UTF-16 units)', () => ({ ...reg(FAKE), account: '😀'.repeat(128) })),
  param('account of 129 emoji', (f) => reg(f, { account: '😀'.repeat(129) }), 'account'),
  registers('password of exactly 72 bytes of multi-byte UTF-8', (f) => regAs(f.multiByte)),
  param(
    'password of 73 bytes whose first 72 are the right password (bcrypt would truncate)',
    (f) => regAs(f.multiByte, { password: `${PASSWORD_72_BYTES}!` }),
    'password',
  ),
  param('password of 37 two-byte characters (74 bytes)', (f) => reg(f, { password: 'é'.repeat(37) }), 'password'),
  registers('appVersion of 32 characters', (f) => reg(f, { appVersion: `11.0.${'1'.repeat(27)}` })),
  param('appVersion of 33 characters', (f) => reg(f, { appVersion: `11.0.${'1'.repeat(28)}` }), 'appVersion'),
  registers('nodeId of 128 characters', (f) => reg(f, {}, { nodeId: 'n'.repeat(128) })),
  param('nodeId of 129 characters', (f) => reg(f, {}, { nodeId: 'n'.repeat(129) }), 'nodes[0].nodeId'),
  registers('machineCode of 255 characters', (f) => reg(f, {}, { machineCode: freshCode(255) })),
  registers('machineCode of 255 code points, most of them emoji', (f) => reg(f, {}, { machineCode: freshCode(255, '😀') })),
  param('machineCode of 256 characters', (f) => reg(f, {}, { machineCode: freshCode(256) }), 'nodes[0].machineCode'),
  registers('appName of 128 characters', (f) => reg(f, {}, { appName: 'w'.repeat(128) })),
  param('appName of 129 characters', (f) => reg(f, {}, { appName: 'w'.repeat(129) }), 'nodes[0].appName'),
  registers('domain of 253 characters (labels of 63)', (f) => reg(f, {}, { domain: DOMAIN_253 })),
  param('domain of 254 characters', (f) => reg(f, {}, { domain: DOMAIN_254 }), 'nodes[0].domain'),
  // Empty strings.
  param('account is empty', (f) => reg(f, { account: '' }), 'account'),
  param('password is empty', (f) => reg(f, { password: '' }), 'password'),
  param('appVersion is empty', (f) => reg(f, { appVersion: '' }), 'appVersion'),
  param('nodeId is empty', (f) => reg(f, {}, { nodeId: '' }), 'nodes[0].nodeId'),
  param('ip is empty', (f) => reg(f, {}, { ip: '' }), 'nodes[0].ip'),
  param('domain is empty', (f) => reg(f, {}, { domain: '' }), 'nodes[0].domain'),
  param('appName is empty', (f) => reg(f, {}, { appName: '' }), 'nodes[0].appName'),
  param('machineCode is empty', (f) => reg(f, {}, { machineCode: '' }), 'nodes[0].machineCode'),
  param('mac is empty', (f) => reg(f, {}, { mac: '' }), 'nodes[0].mac'),
  // Paths, duplicates, and which field is named.
  param('the second node has the bad IP', (f) => regNodes(f, 3, (index) => (index === 1 ? { ip: '256.1.1.1' } : {})), 'nodes[1].ip'),
  param('duplicate nodeId', (f) => regNodes(f, 2, () => ({ nodeId: 'same' })), 'nodes[1].nodeId'),
  param(
    'duplicate machineCode',
    (f) => {
      const machineCode = randomName('m');
      return regNodes(f, 2, () => ({ machineCode }));
    },
    'nodes[1].machineCode',
  ),
  param('only the first invalid field is named', (f) => reg(f, { account: 'a'.repeat(129) }, { ip: '1.2.3' }), 'account'),
  param('parameters are checked before credentials (unknown account, bad IP)', () => reg(FAKE, {}, { ip: '1.2.3' }), 'nodes[0].ip'),
  // Invalid IPs.
  badIp('256.1.1.1'),
  badIp('1.2.3'),
  badIp('01.2.3.4'),
  badIp('0x7f.0.0.1'),
  badIp('1.2.3.4.5'),
  badIp('::1%eth0'),
  badIp('10.0.0.0/8'),
  badIp('2001:db8::1/64'),
  badIp(' 1.2.3.4'),
  badIp('1.2.3.4 '),
  badIp('[2001:db8::1]'),
  badIp('2001:db8::1::2'),
  badIp('localhost'),
  badIp('report.acme.com'),
  badIp(LONE_HIGH),
  // Odd but valid IPs.
  goodIp('IPv6 in full', '2001:0db8:0000:0000:0000:0000:0000:0001'),
  goodIp('IPv6 compressed', '2001:db8::1'),
  goodIp('IPv6 loopback', '::1'),
  goodIp('IPv4-mapped IPv6', '::ffff:203.0.113.7'),
  registers('IPv4-mapped IPv6 matches an IPv4 allowed range', (f) => regAs(f.restricted, {}, { ip: '::ffff:203.0.113.7' })),
  // Domains.
  registers('the IDN bücher.example is accepted', (f) => reg(f, {}, { domain: 'bücher.example' })),
  registers('the punycode xn--bcher-kva.example is accepted', (f) => reg(f, {}, { domain: 'xn--bcher-kva.example' })),
  registers('a fully qualified name with its trailing dot is accepted', (f) => reg(f, {}, { domain: 'report.acme.com.' })),
  badDomain('a..b', 'a..b'),
  badDomain('-a.com', '-a.com'),
  badDomain('with a label of 64 characters', `${'a'.repeat(64)}.com`),
  badDomain('of emoji only', '😀😀'),
  badDomain('with a space inside', 'report acme.com'),
  badDomain('with a leading space', ' report.acme.com'),
  badDomain('with a tab inside', 'report\tacme.com'),
  badDomain('with a path', 'report.acme.com/evil.example'),
  badDomain('with a query mark', 'report?acme.com'),
  badDomain('with a percent escape', 'report%2eacme.com'),
  badDomain('with a port', 'report.acme.com:443'),
  badDomain('that is a wildcard pattern', '*.acme.com'),
  badDomain('with a lone surrogate', `${LONE_HIGH}.acme.com`),
  // MAC addresses.
  badMac('00:1a:2b:3c:4d'),
  badMac('00:1a:2b:3c:4d:5g'),
  badMac('00-1a:2b:3c:4d:5e'),
  badMac('00:1a:2b:3c:4d:5e:6f'),
  badMac('0:1a:2b:3c:4d:5e'),
  badMac(' 00:1a:2b:3c:4d:5e'),
  badMac('00:1a:2b:3c:4d:5e\n'),
  registers('mac without separators', (f) => reg(f, {}, { mac: '001A2B3C4D5E' })),
  registers('mac with dashes, upper case', (f) => reg(f, {}, { mac: '00-1A-2B-3C-4D-5E' })),
  // Lone surrogates (well-formed JSON escapes, not well-formed text).
  param('account is a lone surrogate', (f) => reg(f, { account: LONE_HIGH }), 'account'),
  param('password holds a lone surrogate', (f) => reg(f, { password: `${f.account.password}${LONE_HIGH}` }), 'password'),
  param('appVersion holds a lone surrogate', (f) => reg(f, { appVersion: `11.0.${LONE_LOW}` }), 'appVersion'),
  param('nodeId is a lone surrogate', (f) => reg(f, {}, { nodeId: LONE_HIGH }), 'nodes[0].nodeId'),
  param('appName holds a lone surrogate', (f) => reg(f, {}, { appName: `web${LONE_LOW}root` }), 'nodes[0].appName'),
  param(
    'machineCode is a surrogate pair in the wrong order',
    (f) => reg(f, {}, { machineCode: `${LONE_LOW}${LONE_HIGH}` }),
    'nodes[0].machineCode',
  ),
  param('mac is a lone surrogate', (f) => reg(f, {}, { mac: LONE_HIGH }), 'nodes[0].mac'),
  // Prototype keys: ignored, never inherited, never polluting.
  {
    name: '__proto__, constructor and prototype keys at the top level are ignored',
    route: REG,
    rawBody: (f) =>
      withRawMembers(
        reg(f),
        '"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"},"hasOwnProperty":1',
      ),
    status: 200,
    code: null,
  },
  {
    name: '__proto__, constructor and prototype keys in a node are ignored',
    route: REG,
    rawBody: (f) =>
      withRawNodeMembers(
        reg(f),
        '"__proto__":{"polluted":"yes","isAdmin":true},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"}',
      ),
    status: 200,
    code: null,
  },
  rawFormat('a nodeId given only inside __proto__ is not inherited', (f) =>
    withRawNodeMembers(regNodeWithout(f, 'nodeId'), '"__proto__":{"nodeId":"node-1"}'),
  ),
  rawFormat('credentials given only inside __proto__ are not inherited', (f) =>
    withRawMembers(
      omit(regWithout(f, 'account'), 'password'),
      `"__proto__":${JSON.stringify({ account: f.account.name, password: f.account.password })}`,
    ),
  ),
  {
    name: '__proto__ with an unknown account',
    route: REG,
    rawBody: () => withRawMembers(reg(FAKE), '"__proto__":{"polluted":"yes"}'),
    status: 401,
    code: 'UNAUTHORIZED_ACCOUNT',
  },
  registers('nodeIds and machineCodes named __proto__, constructor, toString, hasOwnProperty', (f) =>
    regNodes(f, 2, (index) =>
      index === 0 ? { nodeId: '__proto__', machineCode: `constructor-${randomName()}` } : { nodeId: 'toString', machineCode: '__proto__' },
    ),
  ),
  unauthorized('an account named __proto__', (f) => reg(f, { account: '__proto__' })),
  // SQL and Redis/Lua fragments: only data.
  unauthorized('account is a SQL tautology', (f) => reg(f, { account: SQL_OR })),
  unauthorized('account is a SQL DROP TABLE', (f) => reg(f, { account: SQL_DROP })),
  unauthorized('account is a SQL UNION SELECT', (f) => reg(f, { account: SQL_UNION })),
  unauthorized('account is a LIKE wildcard', (f) => reg(f, { account: 'acct-%' })),
  unauthorized('the real account name followed by a SQL comment', (f) => reg(f, { account: `${f.account.name}' -- ` })),
  unauthorized('the real account name with a trailing space', (f) => reg(f, { account: `${f.account.name} ` })),
  unauthorized('the real account name in upper case', (f) => reg(f, { account: f.account.name.toUpperCase() })),
  unauthorized('account ends in a NUL character', (f) => reg(f, { account: `${f.account.name}\u0000` })),
  unauthorized('password is a SQL tautology', (f) => reg(f, { password: SQL_OR })),
  unauthorized("password is ' OR '1'='1", (f) => reg(f, { password: "' OR '1'='1" })),
  unauthorized('the right password followed by a NUL and more', (f) => reg(f, { password: `${f.account.password}\u0000x` })),
  unauthorized('account is a RESP FLUSHALL', (f) => reg(f, { account: RESP_FLUSHALL })),
  unauthorized('account breaks out of a Lua long string', (f) => reg(f, { account: LUA_FLUSHALL })),
  unauthorized('account is a Redis hash tag', (f) => reg(f, { account: HASH_TAG })),
  unauthorized('password breaks out of a Lua long string', (f) => reg(f, { password: LUA_FLUSHALL })),
  registers('machineCode is a SQL tautology, nodeId a DROP TABLE', (f) => reg(f, {}, { machineCode: SQL_OR, nodeId: SQL_DROP })),
  registers('machineCode is a DROP TABLE', (f) => reg(f, {}, { machineCode: SQL_DROP })),
  registers('machineCode is a RESP FLUSHALL, nodeId a Lua break-out', (f) =>
    reg(f, {}, { machineCode: RESP_FLUSHALL, nodeId: LUA_FLUSHALL }),
  ),
  registers('machineCode breaks out of a Lua long string', (f) => reg(f, {}, { machineCode: LUA_FLUSHALL })),
  registers('machineCode is a Redis hash tag of another account', (f) => reg(f, {}, { machineCode: HASH_TAG, nodeId: HASH_TAG })),
  registers('machineCode is a glob and a NUL', (f) => reg(f, {}, { machineCode: `*?[a]\u0000${randomName()}` })),
  registers('appName is a SQL tautology', (f) => reg(f, {}, { appName: SQL_OR })),
  {
    name: 'appVersion is a SQL tautology: just a version that does not match',
    route: REG,
    body: (f) => reg(f, { appVersion: `11.0${SQL_OR}` }),
    status: 403,
    code: 'VERSION_MISMATCH',
    details: { certifiedVersion: '11.0', localVersion: `11.0${SQL_OR}` },
  },
  {
    name: 'a Lua break-out machine code outside the allowed IPs is refused like any other',
    route: REG,
    body: (f) => regAs(f.restricted, {}, { ip: '198.51.100.7', machineCode: LUA_FLUSHALL }),
    status: 409,
    code: 'IP_NOT_ALLOWED',
    nodes: () => [{ nodeId: 'node-1', machineCode: LUA_FLUSHALL, causes: ['IP_NOT_ALLOWED'] }],
  },
  registers('machine codes differing only by a trailing space are two machines', (f) => {
    const machineCode = randomName('m');
    return regNodes(f, 2, (index) => ({ machineCode: index === 0 ? machineCode : `${machineCode} ` }));
  }),
  registers('machine codes differing only in case are two machines', (f) => {
    const machineCode = randomName('m');
    return regNodes(f, 2, (index) => ({ machineCode: index === 0 ? `${machineCode}-a` : `${machineCode}-A` }));
  }),
  registers('machine codes differing only in Unicode normalisation are two machines', (f) => {
    const machineCode = randomName('m');
    return regNodes(f, 2, (index) => ({ machineCode: index === 0 ? `${machineCode}-\u00e9` : `${machineCode}-e\u0301` }));
  }),
  // Content types, encodings, sizes, unknown fields.
  registers('text/plain with a JSON body', (f) => reg(f), { contentType: 'text/plain' }),
  registers('application/x-www-form-urlencoded with a JSON body', (f) => reg(f), { contentType: 'application/x-www-form-urlencoded' }),
  registers('application/octet-stream with a JSON body', (f) => reg(f), { contentType: 'application/octet-stream' }),
  registers('application/xml with a JSON body', (f) => reg(f), { contentType: 'application/xml' }),
  rawFormat('Content-Encoding gzip on a body that is not gzip', (f) => JSON.stringify(reg(f)), { headers: { 'content-encoding': 'gzip' } }),
  rawFormat('Content-Encoding deflate on a body that is not deflate', (f) => JSON.stringify(reg(f)), {
    headers: { 'content-encoding': 'deflate' },
  }),
  rawFormat('an unsupported Content-Encoding', (f) => JSON.stringify(reg(f)), { headers: { 'content-encoding': 'zstd' } }),
  registers('unknown fields at the top level and in nodes are ignored', (f) =>
    reg(f, { admin: true, seats: 1e9, status: 'active' }, { trusted: true, causes: [] }),
  ),
  {
    name: 'a body of exactly 1 MiB',
    route: REG,
    rawBody: (f) => {
      const body = reg(f);
      return overLimit(body, MIB - Buffer.byteLength(overLimit(body, 0)));
    },
    status: 200,
    code: null,
  },
  rawFormat('a body of 1 MiB and 1 byte', (f) => {
    const body = reg(f);
    return overLimit(body, MIB + 1 - Buffer.byteLength(overLimit(body, 0)));
  }),
  rawFormat('a body of 5 MiB', (f) => overLimit(reg(f), 5 * MIB)),
];

/** Bodies for rows that must not reach a real account. */
const FAKE: Fixture = {
  account: { id: 0, name: 'no-such-account', password: 'irrelevant' },
  multiByte: { id: 0, name: 'no-such-account', password: 'irrelevant' },
  restricted: { id: 0, name: 'no-such-account', password: 'irrelevant' },
  bound: [],
  unbindable: { nodeId: 'n', machineCode: 'm' },
};

const unbParam = (name: string, body: (f: Fixture) => unknown, field: string): Row => ({
  name,
  route: UNB,
  body,
  status: 400,
  code: 'INCORRECT_PARAMETER',
  field,
});
const unbFormat = (name: string, body: (f: Fixture) => unknown): Row => ({
  name,
  route: UNB,
  body,
  status: 400,
  code: 'INCORRECT_DATA_FORMAT',
});

const unbindingRows: Row[] = [
  { name: 'not JSON', route: UNB, rawBody: 'account=acme', status: 400, code: 'INCORRECT_DATA_FORMAT' },
  { name: 'the JSON literal null', route: UNB, rawBody: 'null', status: 400, code: 'INCORRECT_DATA_FORMAT' },
  { name: 'an empty body', route: UNB, rawBody: '', status: 400, code: 'INCORRECT_DATA_FORMAT' },
  unbFormat('the body wrapped in an array', (f) => [unbinding(f.account, strangers(1))]),
  unbFormat('password is missing', (f) => omit(unbinding(f.account, strangers(1)), 'password')),
  unbFormat('account is a number', (f) => unbinding(f.account, strangers(1), { account: 7 })),
  unbFormat('nodes is an object', (f) => unbinding(f.account, stranger(0))),
  unbFormat('a node is null', (f) => unbinding(f.account, [null])),
  unbFormat('nodeId is a number', (f) => unbinding(f.account, [{ nodeId: 1, machineCode: 'm' }])),
  unbFormat('machineCode is missing', (f) => unbinding(f.account, [{ nodeId: 'n' }])),
  unbParam('nodes is empty', (f) => unbinding(f.account, []), 'nodes'),
  unbParam('257 nodes', (f) => unbinding(f.account, strangers(257)), 'nodes'),
  unbParam('duplicate nodeId', (f) => unbinding(f.account, [stranger(0), { ...stranger(1), nodeId: 'n-0' }]), 'nodes[1].nodeId'),
  unbParam(
    'duplicate machineCode',
    (f) => unbinding(f.account, [stranger(0), { ...stranger(1), machineCode: 'never-bound-0' }]),
    'nodes[1].machineCode',
  ),
  unbParam(
    'machineCode of 256 characters',
    (f) => unbinding(f.account, [{ nodeId: 'n', machineCode: 'm'.repeat(256) }]),
    'nodes[0].machineCode',
  ),
  unbParam('nodeId of 129 characters', (f) => unbinding(f.account, [{ nodeId: 'n'.repeat(129), machineCode: 'm' }]), 'nodes[0].nodeId'),
  unbParam('account is empty', (f) => unbinding(f.account, strangers(1), { account: '' }), 'account'),
  unbParam('account of 129 characters', (f) => unbinding(f.account, strangers(1), { account: 'a'.repeat(129) }), 'account'),
  unbParam(
    'password of 73 bytes whose first 72 are the right password',
    (f) => unbinding(f.multiByte, strangers(1), { password: `${PASSWORD_72_BYTES}!` }),
    'password',
  ),
  unbParam(
    'machineCode is a lone surrogate',
    (f) => unbinding(f.account, [{ nodeId: 'n', machineCode: LONE_HIGH }]),
    'nodes[0].machineCode',
  ),
  {
    name: 'account is a SQL tautology',
    route: UNB,
    body: (f) => unbinding(f.account, strangers(1), { account: SQL_OR }),
    status: 401,
    code: 'UNAUTHORIZED_ACCOUNT',
  },
  {
    name: 'account breaks out of a Lua long string',
    route: UNB,
    body: (f) => unbinding(f.account, strangers(1), { account: LUA_FLUSHALL }),
    status: 401,
    code: 'UNAUTHORIZED_ACCOUNT',
  },
  {
    name: 'password is a DROP TABLE',
    route: UNB,
    body: (f) => unbinding(f.account, strangers(1), { password: SQL_DROP }),
    status: 401,
    code: 'UNAUTHORIZED_ACCOUNT',
  },
  {
    name: 'the real account name with a trailing space',
    route: UNB,
    body: (f) => unbinding(f.account, strangers(1), { account: `${f.account.name} ` }),
    status: 401,
    code: 'UNAUTHORIZED_ACCOUNT',
  },
  {
    name: 'RESP and Lua fragments as machine codes that are not bound',
    route: UNB,
    body: (f) =>
      unbinding(f.account, [
        { nodeId: LUA_FLUSHALL, machineCode: `${RESP_FLUSHALL}never` },
        { nodeId: 'n-2', machineCode: `${LUA_FLUSHALL}${HASH_TAG}` },
      ]),
    status: 409,
    code: 'NOT_BOUND',
    nodes: () => [
      { nodeId: LUA_FLUSHALL, machineCode: `${RESP_FLUSHALL}never`, causes: ['NOT_BOUND'] },
      { nodeId: 'n-2', machineCode: `${LUA_FLUSHALL}${HASH_TAG}`, causes: ['NOT_BOUND'] },
    ],
    unbound: [],
  },
  {
    name: 'a bound machine with a trailing space is another machine, not bound',
    route: UNB,
    body: (f) => unbinding(f.account, [{ nodeId: 'n', machineCode: `${f.unbindable.machineCode} ` }]),
    status: 409,
    code: 'NOT_BOUND',
    nodes: (f) => [{ nodeId: 'n', machineCode: `${f.unbindable.machineCode} `, causes: ['NOT_BOUND'] }],
    unbound: [],
  },
  {
    name: '__proto__ and unknown fields are ignored; the bound machine is unbound',
    route: UNB,
    rawBody: (f) =>
      withRawMembers(
        unbinding(f.account, [f.unbindable], { force: true }),
        '"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}',
      ),
    status: 200,
    code: null,
    exact: (f) => ({ result: 'success', nodes: [f.unbindable] }),
  },
  {
    name: 'a body of 5 MiB',
    route: UNB,
    rawBody: () => overLimit(unbinding(FAKE.account, strangers(1)), 5 * MIB),
    status: 400,
    code: 'INCORRECT_DATA_FORMAT',
  },
];

const first = (f: Fixture) => f.bound[0] as Fixture['bound'][number];
const second = (f: Fixture) => f.bound[1] as Fixture['bound'][number];
const verParam = (name: string, body: (f: Fixture) => unknown, field: string): Row => ({
  name,
  route: VER,
  body,
  status: 400,
  code: 'INCORRECT_PARAMETER',
  field,
});
const verFormat = (name: string, body: (f: Fixture) => unknown): Row => ({
  name,
  route: VER,
  body,
  status: 400,
  code: 'INCORRECT_DATA_FORMAT',
});
/** A 409 NOT_BOUND naming `machineCode(f)`, for a token sent with it. */
const notBound = (name: string, machineCode: (f: Fixture) => string, token: (f: Fixture) => string): Row => ({
  name,
  route: VER,
  body: (f) => ({ machineCode: machineCode(f), token: token(f) }),
  status: 409,
  code: 'NOT_BOUND',
  nodes: (f) => [{ machineCode: machineCode(f), causes: ['NOT_BOUND'] }],
});
const VALID = { result: 'valid', expiresAt: '2099-12-31' };

const verificationRows: Row[] = [
  {
    name: 'the bound machine with its token (sanity)',
    route: VER,
    body: (f) => ({ machineCode: first(f).machineCode, token: first(f).token }),
    status: 200,
    code: null,
    exact: () => VALID,
  },
  { name: 'not JSON', route: VER, rawBody: 'machineCode=m&token=t', status: 400, code: 'INCORRECT_DATA_FORMAT' },
  {
    name: 'the JSON string of a token',
    route: VER,
    rawBody: '"1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"',
    status: 400,
    code: 'INCORRECT_DATA_FORMAT',
  },
  { name: 'an empty body', route: VER, rawBody: '', status: 400, code: 'INCORRECT_DATA_FORMAT' },
  verFormat('the body wrapped in an array', (f) => [{ machineCode: first(f).machineCode, token: first(f).token }]),
  verFormat('token is missing', (f) => ({ machineCode: first(f).machineCode })),
  verFormat('machineCode is missing', (f) => ({ token: first(f).token })),
  verFormat('token is a number', (f) => ({ machineCode: first(f).machineCode, token: 1 })),
  verFormat('token is null', (f) => ({ machineCode: first(f).machineCode, token: null })),
  verFormat('machineCode is an object', (f) => ({ machineCode: { code: first(f).machineCode }, token: first(f).token })),
  verParam('token is empty', (f) => ({ machineCode: first(f).machineCode, token: '' }), 'token'),
  verParam('machineCode is empty', (f) => ({ machineCode: '', token: first(f).token }), 'machineCode'),
  verParam('machineCode of 256 characters', (f) => ({ machineCode: 'm'.repeat(256), token: first(f).token }), 'machineCode'),
  verParam('token holds a lone surrogate', (f) => ({ machineCode: first(f).machineCode, token: `${first(f).token}${LONE_HIGH}` }), 'token'),
  verParam('machineCode is a lone surrogate', (f) => ({ machineCode: LONE_LOW, token: first(f).token }), 'machineCode'),
  notBound(
    'a token of the wrong shape',
    (f) => first(f).machineCode,
    () => 'abc',
  ),
  notBound(
    'the token of another machine',
    (f) => first(f).machineCode,
    (f) => second(f).token,
  ),
  notBound(
    'a token with a forged MAC',
    (f) => first(f).machineCode,
    (f) => `${first(f).token.slice(0, -1)}${first(f).token.endsWith('A') ? 'B' : 'A'}`,
  ),
  notBound(
    'a well-shaped token for account 1',
    (f) => first(f).machineCode,
    () => `1.${'A'.repeat(16)}.${'A'.repeat(32)}`,
  ),
  notBound(
    'a token with an account id beyond 2^53',
    (f) => first(f).machineCode,
    () => `9999999999999999.${'A'.repeat(16)}.${'A'.repeat(32)}`,
  ),
  notBound(
    'a token that is a SQL tautology',
    (f) => first(f).machineCode,
    () => `1.${SQL_OR}`,
  ),
  notBound(
    'a token that breaks out of a Lua long string',
    (f) => first(f).machineCode,
    () => LUA_FLUSHALL,
  ),
  notBound(
    'a token whose account part is a hash tag',
    (f) => first(f).machineCode,
    () => `${HASH_TAG}.${'A'.repeat(16)}.${'A'.repeat(32)}`,
  ),
  notBound(
    'a RESP FLUSHALL machine code with a real token',
    () => RESP_FLUSHALL,
    (f) => first(f).token,
  ),
  notBound(
    'the bound machine code with a trailing space',
    (f) => `${first(f).machineCode} `,
    (f) => first(f).token,
  ),
  {
    name: '__proto__ and unknown fields are ignored',
    route: VER,
    rawBody: (f) =>
      withRawMembers(
        { machineCode: first(f).machineCode, token: first(f).token, nodeId: 'x' },
        '"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}',
      ),
    status: 200,
    code: null,
    exact: () => VALID,
  },
  {
    name: 'text/plain with a JSON body',
    route: VER,
    body: (f) => ({ machineCode: first(f).machineCode, token: first(f).token }),
    contentType: 'text/plain',
    status: 200,
    code: null,
    exact: () => VALID,
  },
  {
    name: 'a body of 5 MiB',
    route: VER,
    rawBody: (f) => overLimit({ machineCode: first(f).machineCode, token: first(f).token }, 5 * MIB),
    status: 400,
    code: 'INCORRECT_DATA_FORMAT',
  },
];

const fallback = (name: string, route: string, status: 404 | 405, method?: Row['method'], rawBody?: string): Row => ({
  name,
  route,
  status,
  code: 'LICENSE_FILE_FORMAT_INCORRECT',
  ...(method ? { method } : {}),
  ...(rawBody === undefined ? {} : { rawBody }),
  ...(status === 405 ? { allow: 'POST' } : {}),
});

const routeRows: Row[] = [
  fallback('GET /v1/registrations', REG, 405, 'get'),
  fallback('PUT /v1/registrations with a body that is not JSON', REG, 405, 'put', 'not json'),
  fallback('PATCH /v1/registrations', REG, 405, 'patch', '{}'),
  fallback('DELETE /v1/unbindings', UNB, 405, 'delete'),
  fallback('GET /v1/verifications', VER, 405, 'get'),
  fallback('OPTIONS /v1/verifications', VER, 405, 'options'),
  fallback('POST /v1/registration (typo)', '/v1/registration', 404, undefined, '{}'),
  fallback('POST /v1/registrations/extra', `${REG}/extra`, 404, undefined, '{}'),
  fallback('POST /v2/registrations', '/v2/registrations', 404, undefined, '{}'),
  fallback('POST with a malformed percent escape', '/v1/%E0%A4%A', 404, undefined, '{}'),
  fallback('GET a path traversal', '/../../etc/passwd', 404, 'get'),
  fallback('POST /', '/', 404, undefined, 'not json'),
];

// ---- the run --------------------------------------------------------------

const sentShape = z.object({ account: z.string(), nodes: z.array(z.object({ nodeId: z.string(), machineCode: z.string() })) });
const registeredShape = z.strictObject({
  result: z.literal('success'),
  account: z.string(),
  expiresAt: z.string(),
  maxRegistrations: z.number(),
  used: z.number(),
  nodes: z.array(z.strictObject({ nodeId: z.string(), machineCode: z.string(), token: z.string().regex(TOKEN) })),
});

describe('hostile input', function () {
  let api: TestApi;
  let db: mysql.Connection;
  let fixture: Fixture | undefined;
  const sentinelKey = () => `${api.config.redisKeyPrefix}hostile-input:sentinel`;

  const fixtureOf = (): Fixture => {
    assert.ok(fixture, 'the fixture is made in before()');
    return fixture;
  };

  async function registerDirectly(account: TestAccount, count: number, node: (index: number) => Body = () => ({})) {
    const response = await request(api.app)
      .post(REG)
      .send(registrationBody(account, count, { node }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return registeredShape.parse(withoutLease(response.body)).nodes;
  }

  async function ledgerCount(account: TestAccount): Promise<number> {
    const [rows] = await db.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM bindings WHERE account_id = ?', [account.id]);
    return Number(rows[0]?.n);
  }

  before(async function () {
    // Throttling is not under test here: dozens of failed logins from one address must not turn rows into 429s.
    api = await startTestApi({ THROTTLE_PAIR_LIMIT: '1000000', THROTTLE_ADDRESS_LIMIT: '1000000', THROTTLE_ACCOUNT_LIMIT: '1000000' });
    db = await mysql.createConnection({ uri: RUN_MYSQL_URL });
    const account = await api.createAccount({ maxRegistrations: 5000 });
    const multiByte = await api.createAccount({ password: PASSWORD_72_BYTES });
    const restricted = await api.createAccount({ allowedIps: ['203.0.113.0/24'] });
    assert.equal(Buffer.byteLength(PASSWORD_72_BYTES), 72);
    const bound = await registerDirectly(account, 2);
    const [unbindable] = await registerDirectly(account, 1, () => ({
      machineCode: `unbind-me ${HASH_TAG} ${randomName()}`,
      nodeId: `unbind ${SQL_OR}`,
    }));
    assert.ok(unbindable);
    fixture = { account, multiByte, restricted, bound, unbindable: { nodeId: unbindable.nodeId, machineCode: unbindable.machineCode } };
    await api.deps.redis.set(sentinelKey(), 'still here');
  });

  after(async function () {
    // after() runs even when before() failed half-way, so either may still be unset.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- see above
    await db?.end();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- see above
    await api?.close();
  });

  function payloadOf(row: Row, f: Fixture): string | Buffer | undefined {
    if (row.body) return JSON.stringify(row.body(f));
    if (typeof row.rawBody === 'function') return row.rawBody(f);
    return row.rawBody;
  }

  async function send(row: Row, payload: string | Buffer | undefined): Promise<Response> {
    let test = request(api.app)[row.method ?? 'post'](row.route);
    if (payload === undefined) return test;
    test = test.set('content-type', row.contentType ?? 'application/json');
    for (const [name, value] of Object.entries(row.headers ?? {})) test = test.set(name, value);
    return test.send(payload);
  }

  function expectFailure(row: Row, f: Fixture, response: Response, code: Code): void {
    const isNodeCause = NODE_CODES.includes(code);
    if (code === 'INCORRECT_PARAMETER') assert.ok(row.field, 'an INCORRECT_PARAMETER row names its field');
    const details = code === 'INCORRECT_PARAMETER' ? { field: row.field } : row.details;
    const expected = {
      result: 'failure',
      overall: isNodeCause ? [] : [{ code, message: MESSAGES[code], ...(details ? { details } : {}) }],
      nodes: (row.nodes?.(f) ?? []).map(({ causes, ...ids }) => ({
        ...ids,
        causes: causes.map((cause) => ({ code: cause, message: MESSAGES[cause] })),
      })),
      ...(row.unbound ? { unbound: row.unbound } : {}),
    };
    assert.deepEqual(response.body, expected);
    if (row.allow !== undefined) assert.equal(response.headers.allow, row.allow);
  }

  /** A registration that succeeded: the answer matches the request, and both stores and the tokens agree with it. */
  async function expectRegistered(f: Fixture, payload: string | Buffer | undefined, response: Response): Promise<void> {
    const sent = sentShape.parse(JSON.parse(String(payload)));
    const parsed = registeredShape.safeParse(withoutLease(response.body));
    assert.ok(parsed.success, `success shape: ${parsed.error?.message ?? ''}`);
    const answer = parsed.data;
    assert.equal(answer.account, sent.account);
    assert.deepEqual(
      answer.nodes.map(({ nodeId, machineCode }) => ({ nodeId, machineCode })),
      sent.nodes.map(({ nodeId, machineCode }) => ({ nodeId, machineCode })),
    );
    const owner = [f.account, f.multiByte, f.restricted].find((account) => account.name === sent.account);
    assert.ok(owner, 'registered to one of the fixture accounts');
    assert.equal(answer.used, await ledgerCount(owner), '`used` equals the machines the MySQL ledger holds');
    const bindingsKey = accountKeys(api.config.redisKeyPrefix, owner.id).bindings;
    for (const node of answer.nodes) {
      assert.equal(await api.deps.redis.hexists(bindingsKey, node.machineCode), 1, `Redis holds ${JSON.stringify(node.machineCode)}`);
      const verified = await request(api.app).post(VER).send({ machineCode: node.machineCode, token: node.token });
      assert.deepEqual(
        { status: verified.status, body: withoutLease(verified.body) },
        { status: 200, body: { result: 'valid', expiresAt: answer.expiresAt } },
      );
    }
  }

  async function run(row: Row): Promise<void> {
    const f = fixtureOf();
    const payload = payloadOf(row, f);
    const response = await send(row, payload);
    const shown = `${(row.method ?? 'post').toUpperCase()} ${row.route} answered ${response.status} ${JSON.stringify(response.body).slice(0, 600)}`;
    assert.notEqual(response.status, 500, `never a 500: ${shown}`);
    assert.equal(response.status, row.status, shown);
    assert.match(String(response.headers['x-request-id']), UUID, 'a fresh request id on every answer');
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.doesNotMatch(JSON.stringify(response.body), LEAK, 'no stack trace or SQL text');
    const body = response.body as { result?: unknown };
    if (row.code === null) {
      assert.equal(body.result, row.route === VER ? 'valid' : 'success', shown);
      if (row.exact) assert.deepEqual(withoutLease(response.body), row.exact(f));
      else await expectRegistered(f, payload, response);
    } else {
      assert.equal(body.result, 'failure', shown);
      expectFailure(row, f, response, row.code);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is not polluted');
    assert.equal(Object.prototype.hasOwnProperty.call(Object.prototype, 'isAdmin'), false);
  }

  describe('POST /v1/registrations', function () {
    for (const row of registrationRows) it(row.name, () => run(row));
  });

  describe('POST /v1/unbindings', function () {
    for (const row of unbindingRows) it(row.name, () => run(row));
  });

  describe('POST /v1/verifications', function () {
    for (const row of verificationRows) it(row.name, () => run(row));
  });

  describe('unknown routes and methods', function () {
    for (const row of routeRows) it(row.name, () => run(row));
  });

  describe('afterwards', function () {
    it('left Object.prototype untouched', function () {
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.deepEqual(
        Object.getOwnPropertyNames(Object.prototype).filter((name) => ['polluted', 'isAdmin', 'nodeId', 'account'].includes(name)),
        [],
      );
    });

    it('kept every MySQL table: the account still logs in and registers', async function () {
      const [tables] = await db.query<mysql.RowDataPacket[]>('SHOW TABLES');
      const names = tables.map((row) => String(Object.values(row)[0]));
      for (const table of ['accounts', 'bindings', 'settings', 'audit_log']) assert.ok(names.includes(table), `table ${table} exists`);
      const f = fixtureOf();
      const [accounts] = await db.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM accounts WHERE id IN (?)', [
        [f.account.id, f.multiByte.id, f.restricted.id],
      ]);
      assert.equal(Number(accounts[0]?.n), 3);
      const response = await request(api.app).post(REG).send(registrationBody(f.account, 1));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const node = registeredShape.parse(withoutLease(response.body)).nodes[0];
      assert.ok(node);
      assert.equal(await api.deps.redis.hexists(accountKeys(api.config.redisKeyPrefix, f.account.id).bindings, node.machineCode), 1);
    });

    it("kept this run's Redis keys (no FLUSHALL ran)", async function () {
      assert.equal(await api.deps.redis.get(sentinelKey()), 'still here');
      const f = fixtureOf();
      assert.ok((await api.deps.redis.hlen(accountKeys(api.config.redisKeyPrefix, f.account.id).bindings)) > 0);
      const verified = await request(api.app)
        .post(VER)
        .send({ machineCode: first(f).machineCode, token: first(f).token });
      assert.deepEqual(withoutLease(verified.body), VALID);
    });
  });
});
