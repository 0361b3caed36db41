import { gzipSync } from 'node:zlib';
import fc from 'fast-check';

/**
 * Generators of hostile requests to the three POST routes, for the fuzz test
 * (fuzz.test.ts). A generated request is plain data, so fast-check can print
 * and shrink it; what only the run knows (the real accounts' names and
 * passwords, the tokens of machines bound before the run) appears as
 * markers the test resolves just before sending:
 *
 *   @@account:i@@  @@password:i@@      name and password of fixture account i
 *   @@machine:k@@  @@token:k@@         a machine bound before the run and its token
 *   @@token:k:flip:p@@ / :cut:n@@      that token with character p changed / cut to n characters
 *   @@long:n:u@@                       the unit u repeated n times (huge strings stay short in a report)
 *   @@omit@@                           as an object member's value: the member is left out
 *   ['@@repeat:n@@', node]             as an array: n copies of node, its nodeId and machineCode suffixed -0, -1, …
 *
 * Seats fill and free up because real-account bodies draw their machine codes
 * from a small pool (MACHINE_POOL) that unbindings draw from too.
 */
export type Route = '/v1/registrations' | '/v1/unbindings' | '/v1/verifications';

export type Payload =
  /** JSON.stringify of the resolved value (undefined: an empty body) */
  | { kind: 'json'; value: unknown }
  /** text sent as UTF-8 after resolving markers, or as UTF-16LE */
  | { kind: 'text'; text: string; encoding: 'utf8' | 'utf16le' }
  /** bytes sent as they are */
  | { kind: 'bytes'; bytes: Uint8Array }
  /** `length` times the byte `fill` (a body past every limit, short in a report) */
  | { kind: 'filler'; length: number; fill: number };

export interface HostileRequest {
  route: Route;
  payload: Payload;
  /** null: application/json */
  contentType: string | null;
  /** 'gzip-real': the body really is gzipped and says so; other values are sent as the header over a plain body */
  contentEncoding: string | null;
  idempotencyKey: string | null;
}

export const FIXTURE_ACCOUNTS = 3;
export const BOUND_MACHINES = 3;
export const OMIT = '@@omit@@';
export const MACHINE_POOL = Array.from({ length: 8 }, (_, index) => `fuzz-m${index}`);

const account = (index: number) => `@@account:${index}@@`;
const password = (index: number) => `@@password:${index}@@`;

// ---- strings --------------------------------------------------------------

const INJECTIONS = [
  "' OR 1=1 --",
  '"; DROP TABLE accounts; --',
  "x' UNION SELECT password_hash FROM accounts --",
  '\r\nFLUSHALL\r\n',
  "]] redis.call('FLUSHALL') --[[",
  '{acct:1}',
  '%s%n%x%d',
  '${jndi:ldap://x/a}',
  '../../../etc/passwd',
  '<script>alert(1)</script>',
  '\\u0000',
  '\\',
  '"',
];
const ODD_TEXT = [
  '\u202Eevil\u202C',
  'مرحبا',
  'שלום',
  '\u200B',
  '\uFEFF',
  'e\u0301',
  '😀',
  '👩‍👩‍👧‍👦',
  '\u0000',
  'a\u0000b',
  ' ',
  '\t\n\r',
  '\u2028\u2029',
  '\uFFFF',
  '\uFFFD',
];
const LONE_SURROGATES = ['\ud800', '\udfff', 'a\ud83d', '\ude00b', '\udc00\ud800'];
const NUMERIC_TEXT = ['NaN', 'Infinity', '-Infinity', '-0', '0', '1e999', '0x1F', '-1', '9007199254740993', '1.5', '1e-400', '٣'];
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', 'isAdmin', 'polluted'];

const controlChars = fc.string({ unit: fc.integer({ min: 0, max: 31 }).map((code) => String.fromCharCode(code)), maxLength: 8 });
/** Lengths around every limit the contract sets (72 bytes, 128, 253, 255, 256) and far past them. */
const longText = fc
  .tuple(
    fc.constantFrom(24, 36, 37, 63, 64, 72, 73, 127, 128, 129, 253, 254, 255, 256, 257, 1000, 20_000),
    fc.constantFrom('x', 'é', '€', '😀', '\u0000', 'a.'),
  )
  .map(([length, unit]) => `@@long:${length}:${unit}@@`);

export const hostileText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: controlChars },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.string({ maxLength: 8 }), fc.constantFrom(...ODD_TEXT, ...LONE_SURROGATES)).map(([a, b]) => a + b + a),
  },
  { weight: 2, arbitrary: longText },
  { weight: 1, arbitrary: fc.constantFrom(...INJECTIONS, ...NUMERIC_TEXT, ...PROTOTYPE_KEYS, '') },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString('latin1')) },
);

// ---- values of the wrong type, nested at various depths ---------------------

function nestIn(value: unknown, depth: number, asArray: boolean): unknown {
  let nested = value;
  for (let level = 0; level < depth; level++) nested = asArray ? [nested] : { a: nested };
  return nested;
}

export const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.integer({ min: -1, max: 1 }),
  fc.double(), // NaN and ±Infinity are written as null
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -Number.MAX_VALUE, 5e-324, -0),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom(...PROTOTYPE_KEYS, 'a'), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  fc
    .tuple(fc.jsonValue({ maxDepth: 1 }), fc.integer({ min: 1, max: 12 }), fc.boolean())
    .map(([value, depth, asArray]) => nestIn(value, depth, asArray)),
);

/**
 * How often a field is the right thing rather than hostile text, the wrong
 * type or missing. A clean body has only right fields (whose values may
 * still be malformed addresses, names or codes), so it gets past the format
 * check and often past the parameters to the credentials and the seats; a
 * mild one has a hostile field here and there; a wild one hardly a right one.
 */
type Hostility = 'clean' | 'mild' | 'wild';
const RIGHT_WEIGHT: Record<Exclude<Hostility, 'clean'>, number> = { mild: 40, wild: 2 };

/** A field meant to hold a string: the right thing, hostile text, the wrong type, or missing. */
function field(right: fc.Arbitrary<string>, hostility: Hostility): fc.Arbitrary<unknown> {
  if (hostility === 'clean') return right;
  return fc.oneof(
    { weight: RIGHT_WEIGHT[hostility], arbitrary: right },
    { weight: 2, arbitrary: hostileText },
    { weight: 1, arbitrary: wrongType },
    { weight: 1, arbitrary: fc.constant(OMIT) },
  );
}

// ---- the fields of a node -----------------------------------------------------

const malformedIps = fc.constantFrom(
  '256.1.1.1',
  '1.2.3',
  '1.2.3.4.5',
  '01.2.3.4',
  '1.2.3.04',
  '0x7f.0.0.1',
  '2130706433',
  '::ffff:1.2.3.4',
  'fe80::1%eth0',
  '203.0.113.0/24',
  '2001:db8::/32',
  '::',
  ':::',
  '1::2::3',
  '0.0.0.0',
  ' 203.0.113.7',
  '203.0.113.7\n',
  '203.0.113.7\u0000',
  '١٢٣.١.١.١',
  'localhost',
  '[::1]',
  '203.0.113.7:80',
);
const ips = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('203.0.113.7', '203.0.113.200', '2001:db8::1', '198.51.100.1') },
  { weight: 2, arbitrary: fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended()) },
  { weight: 2, arbitrary: malformedIps },
  { weight: 1, arbitrary: fc.tuple(fc.ipV4(), fc.integer({ min: -1, max: 64 })).map(([ip, bits]) => `${ip}/${bits}`) },
);
const domains = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('report.acme.com', 'a.b.acme.com', 'acme.com', 'REPORT.ACME.COM', 'example.org') },
  { weight: 2, arbitrary: fc.domain() },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'a..b',
      '-a.com',
      'a-.com',
      `${'a'.repeat(64)}.com`,
      'xn--',
      'xn--zz.com',
      '*.acme.com',
      'exa mple.com',
      'bücher.de',
      'acme.com.',
      '.',
      '..',
      'a_b.com',
      'report.acme.com/evil',
      'report.acme.com\u0000.evil.com',
      '203.0.113.7',
      '[::1]',
    ),
  },
);
const macs = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom('00:1a:2b:3c:4d:5e', '00-1A-2B-3C-4D-5E', '001a2b3c4d5e') },
  { weight: 2, arbitrary: fc.mixedCase(fc.stringMatching(/^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '00:1a:2b:3c:4d',
      '00-1a:2b-3c:4d-5e',
      'zz:zz:zz:zz:zz:zz',
      '00:1a:2b:3c:4d:5e:6f',
      '00:1a:2b:3c:4d:5e\n',
      '0:1:2:3:4:5',
    ),
  },
);
const machineCodes = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...MACHINE_POOL) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: BOUND_MACHINES - 1 }).map((index) => `@@machine:${index}@@`) },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
);
const nodeIds = fc.oneof(fc.constantFrom('node-1', 'node-2', 'node-3'), fc.string({ minLength: 1, maxLength: 12 }));

/** Members no contract body has: ignored by the service, but they must not change what it does. */
const extraMembers = fc.dictionary(fc.constantFrom(...PROTOTYPE_KEYS, 'nodeId', 'extra', ''), fc.jsonValue({ maxDepth: 2 }), {
  maxKeys: 3,
});

const registrationNode = (hostility: Hostility) =>
  fc
    .record({
      nodeId: field(nodeIds, hostility),
      ip: field(ips, hostility),
      domain: field(domains, hostility),
      appName: field(fc.constantFrom('webroot', 'other', 'WEBROOT'), hostility),
      machineCode: field(machineCodes, hostility),
      mac: field(macs, hostility),
      extra: extraMembers,
    })
    .map(flatten);
const unbindingNode = (hostility: Hostility) =>
  fc.record({ nodeId: field(nodeIds, hostility), machineCode: field(machineCodes, hostility), extra: extraMembers }).map(flatten);

/** The node with its extra members spread in, each an own property (a `__proto__` key included). */
function flatten({ extra, ...node }: { extra: Record<string, unknown> } & Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries([...Object.entries(extra), ...Object.entries(node)]);
}

/** The nodes of a body; `plain` is a node with only right fields, the template of very many nodes (a body that stays well under 1 MiB). */
function nodeList(
  node: fc.Arbitrary<Record<string, unknown>>,
  plain: fc.Arbitrary<Record<string, unknown>>,
  hostility: Hostility,
): fc.Arbitrary<unknown> {
  return fc.oneof(
    // Distinct ids and codes; duplicates have a branch of their own.
    {
      weight: hostility === 'wild' ? 4 : 60,
      arbitrary: fc.uniqueArray(node, {
        minLength: 1,
        maxLength: 4,
        comparator: (a, b) => a.nodeId === b.nodeId || a.machineCode === b.machineCode,
      }),
    },
    { weight: 1, arbitrary: fc.constant([]) },
    // Duplicates: the same node twice, or another node reusing its machine code.
    { weight: 2, arbitrary: fc.tuple(node, node).map(([a, b]) => [a, { ...b, machineCode: a.machineCode }, a]) },
    // Very many nodes: at, just past and far past the 256 limit, with distinct ids and codes.
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom(255, 256, 257, 1000), plain).map(([count, template]) => [`@@repeat:${count}@@`, template]),
    },
    { weight: 2, arbitrary: wrongType },
    { weight: 1, arbitrary: fc.constant(OMIT) },
    { weight: 1, arbitrary: fc.tuple(node, fc.integer({ min: 1, max: 10 })).map(([one, depth]) => nestIn([one], depth, true)) },
  );
}

// ---- credentials and tokens -----------------------------------------------------

const accountIndex = fc.integer({ min: 0, max: FIXTURE_ACCOUNTS - 1 });
/** A real account with its password (often), a wrong one, or no real account at all. */
const credentials = (hostility: Hostility) =>
  fc.oneof(
    { weight: 6, arbitrary: accountIndex.map((index) => ({ account: account(index), password: password(index) })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          accountIndex,
          fc.oneof(
            hostileText,
            accountIndex.map(password),
            accountIndex.map((index) => `${password(index)}x`),
            accountIndex.map((index) => ` ${password(index)}`),
          ),
        )
        .map(([index, wrong]) => ({ account: account(index), password: wrong })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(accountIndex, fc.constantFrom('', 'x', '-'))
        .map(([index, extra]) => ({ account: `${account(index)}${extra}`, password: password(index) })),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        account: field(fc.constantFrom('acme', 'demo', 'admin'), hostility),
        password: field(fc.string({ maxLength: 80 }), hostility),
      }),
    },
  );

const boundIndex = fc.integer({ min: 0, max: BOUND_MACHINES - 1 });
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{32}$/;
const tokens = fc.oneof(
  { weight: 3, arbitrary: boundIndex.map((index) => `@@token:${index}@@`) },
  { weight: 2, arbitrary: fc.tuple(boundIndex, fc.nat({ max: 71 })).map(([index, at]) => `@@token:${index}:flip:${at}@@`) },
  { weight: 1, arbitrary: fc.tuple(boundIndex, fc.nat({ max: 72 })).map(([index, length]) => `@@token:${index}:cut:${length}@@`) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(boundIndex, fc.constantFrom('x', '.', '..', ' ', '\u0000', '='))
      .map(([index, extra]) => `@@token:${index}@@${extra}`),
  },
  { weight: 2, arbitrary: fc.stringMatching(TOKEN_PATTERN) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(
        fc.oneof(fc.integer(), fc.bigInt({ min: 2n ** 53n, max: 2n ** 70n })),
        fc.stringMatching(/^[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{32}$/),
      )
      .map(([id, rest]) => `${id}.${rest}`),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.constantFrom<BufferEncoding>('base64url', 'base64', 'hex', 'latin1'))
      .map(([bytes, encoding]) => Buffer.from(bytes).toString(encoding)),
  },
  { weight: 2, arbitrary: hostileText },
  { weight: 1, arbitrary: wrongType },
);
const verificationMachines = fc.oneof(
  { weight: 3, arbitrary: boundIndex.map((index) => `@@machine:${index}@@`) },
  { weight: 1, arbitrary: boundIndex.map((index) => `@@machine:${index}@@ `) },
  { weight: 2, arbitrary: fc.constantFrom(...MACHINE_POOL) },
  { weight: 2, arbitrary: hostileText },
  { weight: 1, arbitrary: wrongType },
  { weight: 1, arbitrary: fc.constant(OMIT) },
);

// ---- bodies ---------------------------------------------------------------------

const appVersions = fc.constantFrom('11.0', '11.0', '11.0.3', '11.01', '10.0', '12', '12.1', '11');
const dryRuns = fc.oneof(
  { weight: 16, arbitrary: fc.constant(OMIT) },
  { weight: 3, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: wrongType },
);

const registrationBodyOf = (hostility: Hostility) =>
  fc
    .record({
      credentials: credentials(hostility),
      appVersion: field(appVersions, hostility),
      nodes: nodeList(registrationNode(hostility), registrationNode('clean'), hostility),
      dryRun: dryRuns,
      extra: extraMembers,
    })
    .map(({ credentials: { account: name, password: secret }, extra, ...rest }) =>
      flatten({ extra, account: name, password: secret, ...rest }),
    );
const unbindingBodyOf = (hostility: Hostility) =>
  fc
    .record({
      credentials: credentials(hostility),
      nodes: nodeList(unbindingNode(hostility), unbindingNode('clean'), hostility),
      extra: extraMembers,
    })
    .map(({ credentials: { account: name, password: secret }, extra, nodes }) =>
      flatten({ extra, account: name, password: secret, nodes }),
    );
const bothHostilities = (body: (hostility: Hostility) => fc.Arbitrary<Record<string, unknown>>) =>
  fc.oneof({ weight: 2, arbitrary: body('clean') }, { weight: 2, arbitrary: body('mild') }, { weight: 1, arbitrary: body('wild') });

const registrationBody = bothHostilities(registrationBodyOf);
const unbindingBody = bothHostilities(unbindingBodyOf);
const verificationBody = fc.record({ machineCode: verificationMachines, token: tokens, extra: extraMembers }).map((body) => flatten(body));

const bodyFor: Record<Route, fc.Arbitrary<Record<string, unknown>>> = {
  '/v1/registrations': registrationBody,
  '/v1/unbindings': unbindingBody,
  '/v1/verifications': verificationBody,
};

// ---- payloads: structured, random JSON, raw text and bytes -------------------------

const text = (value: string, encoding: 'utf8' | 'utf16le' = 'utf8'): Payload => ({ kind: 'text', text: value, encoding });
const json = (value: unknown): Payload => ({ kind: 'json', value });

/** Text that is almost the JSON of a structured body, or plainly not JSON. */
function rawTextOf(body: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Payload> {
  const written = body.map((value) => JSON.stringify(value));
  return fc.oneof(
    fc.tuple(written, fc.nat()).map(([value, at]) => text(value.slice(0, at % (value.length + 1)))),
    fc.tuple(written, fc.constantFrom('x', ',', '}', ']', '\u0000', '{}', ' //')).map(([value, extra]) => text(value + extra)),
    written.map((value) => text(`\uFEFF${value}`)),
    written.map((value) => text(value, 'utf16le')),
    written.map((value) =>
      text(`{"__proto__":{"isAdmin":true,"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},${value.slice(1)}`),
    ),
    written.map((value) => text(`{"account":"acme","nodes":null,${value.slice(1)}`)), // duplicate keys: the last one wins
    written.map((value) => value.replaceAll('"', "'")).map((value) => text(value)),
    fc.tuple(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('[', '{"a":')).map(([depth, open]) => text(open.repeat(depth))),
    fc
      .constantFrom(
        '',
        ' ',
        'null',
        'true',
        '42',
        '"acme"',
        '[]',
        '{}',
        '1e999999',
        '{"account":1e999}',
        'account=acme&password=x',
        '--zzz\r\n\r\n--zzz--',
      )
      .map((value) => text(value)),
  );
}

function bytesOf(body: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<Payload> {
  const utf8 = body.map((value) => Buffer.from(JSON.stringify(value)));
  return fc.oneof(
    { weight: 3, arbitrary: fc.uint8Array({ maxLength: 512 }).map((bytes): Payload => ({ kind: 'bytes', bytes })) },
    // Bytes that are not UTF-8 spliced into otherwise valid JSON.
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          utf8,
          fc.nat(),
          fc.constantFrom([0xff], [0xfe, 0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf]),
        )
        .map(([bytes, at, bad]): Payload => {
          const cut = at % (bytes.length + 1);
          return { kind: 'bytes', bytes: Buffer.concat([bytes.subarray(0, cut), Buffer.from(bad), bytes.subarray(cut)]) };
        }),
    },
    // Past the route's limit: 1 MiB + 1 (refused unread), and 9000 bytes (past a heartbeat's 8 KiB).
    {
      weight: 1,
      arbitrary: fc.constantFrom<Payload>(
        { kind: 'filler', length: 1024 * 1024 + 1, fill: 0x20 },
        { kind: 'filler', length: 9000, fill: 0x20 },
      ),
    },
  );
}

function payloadFor(route: Route): fc.Arbitrary<Payload> {
  const body = bodyFor[route];
  return fc.oneof(
    { weight: 24, arbitrary: body.map(json) },
    { weight: 2, arbitrary: fc.jsonValue().map(json) },
    { weight: 2, arbitrary: fc.anything({ withNullPrototype: true, withBoxedValues: true, withSparseArray: true }).map(json) },
    { weight: 1, arbitrary: fc.json().map((value) => text(value)) },
    { weight: 3, arbitrary: rawTextOf(body) },
    { weight: 2, arbitrary: bytesOf(body) },
  );
}

const contentTypes = fc.oneof(
  { weight: 12, arbitrary: fc.constant(null) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=zzz',
      'application/json; charset=utf-16',
      'application/json; charset=utf-16le',
      'application/json; charset=latin1',
      'application/json; charset="utf-8"',
      'application/json; charset=UTF8',
      'application/octet-stream',
      'application/vnd.api+json',
      '',
      '*/*',
      'garbage;;;=',
      'application/json; charset=',
      'text/html; charset=iso-8859-1',
    ),
  },
);
const contentEncodings = fc.oneof(
  { weight: 20, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom('gzip-real', 'gzip', 'deflate', 'br', 'identity', 'x-unknown', 'gzip, gzip') },
);
/** Mostly none; a small pool (so keys collide: replays, 409 and 422) or something no key may be. */
const idempotencyKeys = fc.oneof(
  { weight: 20, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom('k-1', 'k-2', 'k-3') },
  // Every byte a client can put in a header (fetch refuses NUL, CR, LF and DEL), Latin-1 included.
  {
    weight: 1,
    arbitrary: fc.string({
      unit: fc
        .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff }), fc.constant(0x09))
        .map((code) => String.fromCharCode(code)),
      maxLength: 300,
    }),
  },
);

export const hostileRequests: fc.Arbitrary<HostileRequest> = fc
  .constantFrom<Route>('/v1/registrations', '/v1/unbindings', '/v1/verifications')
  .chain((route) =>
    fc.record({
      route: fc.constant(route),
      payload: payloadFor(route),
      contentType: contentTypes,
      contentEncoding: contentEncodings,
      idempotencyKey: route === '/v1/verifications' ? fc.constant(null) : idempotencyKeys,
    }),
  );

// ---- markers --------------------------------------------------------------------

/** What the markers stand for in this run. */
export interface MarkerValues {
  accounts: ReadonlyArray<{ name: string; password: string }>;
  bound: ReadonlyArray<{ machineCode: string; token: string }>;
}

const MARKER = /@@(account|password|machine|token):(\d+)(?::(flip|cut):(\d+))?@@|@@long:(\d+):([^@]+)@@/g;
const REPEAT = /^@@repeat:(\d+)@@$/;

function mutated(token: string, how: string | undefined, at: number): string {
  if (how === 'cut') return token.slice(0, at);
  if (how !== 'flip' || token.length === 0) return token;
  const index = at % token.length;
  const replaced = token[index] === 'A' ? 'B' : 'A';
  return token.slice(0, index) + replaced + token.slice(index + 1);
}

export function resolveText(value: string, markers: MarkerValues): string {
  return value.replaceAll(MARKER, (whole, ...groups: Array<string | undefined>) => {
    const [kind, index, how, at, length, unit] = groups;
    if (length !== undefined && unit !== undefined) return unit.repeat(Number(length));
    const i = Number(index);
    if (kind === 'account') return markers.accounts[i]?.name ?? whole;
    if (kind === 'password') return markers.accounts[i]?.password ?? whole;
    const bound = markers.bound[i];
    if (!bound) return whole;
    return kind === 'machine' ? bound.machineCode : mutated(bound.token, how, Number(at));
  });
}

function suffixed(value: unknown, index: number): unknown {
  return typeof value === 'string' ? `${value}-${index}` : value;
}

function repeated(count: number, template: unknown): unknown[] {
  if (typeof template !== 'object' || template === null) return Array.from({ length: count }, () => template);
  const { nodeId, machineCode } = template as Record<string, unknown>;
  return Array.from({ length: count }, (_, index) => ({
    ...template,
    nodeId: suffixed(nodeId, index),
    machineCode: suffixed(machineCode, index),
  }));
}

/** The value with its markers replaced and its @@omit@@ members left out; own `__proto__` members stay own members. */
export function resolveValue(value: unknown, markers: MarkerValues): unknown {
  if (typeof value === 'string') return resolveText(value, markers);
  if (Array.isArray(value)) {
    const count = value.length === 2 && typeof value[0] === 'string' ? REPEAT.exec(value[0])?.[1] : undefined;
    const items: unknown[] = count === undefined ? value : repeated(Number(count), value[1]);
    return items.map((item) => resolveValue(item, markers));
  }
  if (typeof value !== 'object' || value === null || !isPlainObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, member]) => member !== OMIT)
      .map(([key, member]) => [key, resolveValue(member, markers)]),
  );
}

function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** The bytes to send for a payload. */
export function bodyBytes(payload: Payload, markers: MarkerValues): Buffer {
  switch (payload.kind) {
    case 'json': {
      const value = resolveValue(payload.value, markers);
      return Buffer.from(value === undefined ? '' : JSON.stringify(value), 'utf8');
    }
    case 'text':
      return Buffer.from(resolveText(payload.text, markers), payload.encoding);
    case 'bytes':
      return Buffer.from(payload.bytes);
    case 'filler':
      return Buffer.alloc(payload.length, payload.fill);
  }
}

/** Headers and body of a request, ready for fetch. */
export function wireFormOf(request: HostileRequest, markers: MarkerValues): { headers: Record<string, string>; body: Buffer } {
  let body = bodyBytes(request.payload, markers);
  const headers: Record<string, string> = { 'content-type': request.contentType ?? 'application/json' };
  if (request.contentEncoding === 'gzip-real') {
    body = gzipSync(body);
    headers['content-encoding'] = 'gzip';
  } else if (request.contentEncoding !== null) headers['content-encoding'] = request.contentEncoding;
  if (request.idempotencyKey !== null) headers['idempotency-key'] = request.idempotencyKey;
  return { headers, body };
}
