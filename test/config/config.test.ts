/**
 * Configuration: every variable's default, each kind of invalid value (a ConfigError naming the
 * variable and what is expected, never a credential), and the real server's one-line refusal.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { ConfigError, loadConfig } from '../../src/config.js';
import { referenceDataDir } from '../../src/paths.js';
import { spawnServer } from '../support/process.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

t.test('with no variables set, every setting has its documented default', async (t) => {
  const config = loadConfig({});
  t.same(config, {
    nodeEnv: 'development',
    host: '127.0.0.1',
    port: 3000,
    publicUrl: 'http://localhost:3000',
    logLevel: 'info',
    dataDir: path.resolve('./var'),
    databaseUrl: undefined,
    embeddedDbPort: 54329,
    seedDemoData: true,
    workerInProcess: true,
    trustProxy: false,
    rateLimitPerMinute: 600,
    sessionSecret: undefined,
    mail: { smtpUrl: undefined, from: 'Opportunity Portal <opportunities@localhost>' },
    brand: {
      serviceName: 'Opportunity Portal',
      councilName: 'Demo Borough Council',
      colour: '#1d70b8',
      fontStack: 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif',
    },
    search: {
      meilisearchUrl: undefined,
      meilisearchApiKey: undefined,
      meilisearchIndex: 'opportunities',
      synonymsFile: path.join(referenceDataDir, 'search-synonyms.txt'),
    },
    ocidPrefix: 'ocds-op0rtl',
    localPostcodeDistricts: ['B64', 'B65', 'B66', 'B67', 'B68', 'B69', 'B70', 'B71', 'DY4', 'WS10'],
    timeZone: 'Europe/London',
  });
});

t.test('search settings: a Meilisearch URL and index name are checked, the synonyms file path resolved', async (t) => {
  const config = loadConfig({ MEILISEARCH_URL: 'http://meilisearch:7700', MEILISEARCH_API_KEY: 'key', MEILISEARCH_INDEX: 'sandwell_opps', SEARCH_SYNONYMS_FILE: 'my-synonyms.txt' });
  t.same(config.search, { meilisearchUrl: 'http://meilisearch:7700', meilisearchApiKey: 'key', meilisearchIndex: 'sandwell_opps', synonymsFile: path.resolve('my-synonyms.txt') });
  t.match(configError({ MEILISEARCH_URL: 'meilisearch:7700' }).message, /MEILISEARCH_URL/);
  t.match(configError({ MEILISEARCH_INDEX: 'bad name!' }).message, /MEILISEARCH_INDEX/);
});

t.test('empty or blank values count as unset', async (t) => {
  const config = loadConfig({ PORT: '', LOG_LEVEL: '   ', DATABASE_URL: '', SEED_DEMO_DATA: ' ' });
  t.equal(config.port, 3000);
  t.equal(config.logLevel, 'info');
  t.equal(config.databaseUrl, undefined);
  t.equal(config.seedDemoData, true);
});

t.test('NODE_ENV=test makes the log silent by default; LOG_LEVEL still wins', async (t) => {
  t.equal(loadConfig({ NODE_ENV: 'test' }).logLevel, 'silent');
  t.equal(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'debug' }).logLevel, 'debug');
  t.equal(loadConfig({ NODE_ENV: 'production' }).logLevel, 'info');
});

t.test('valid values are read, trimmed and normalised', async (t) => {
  const config = loadConfig({
    NODE_ENV: 'production',
    HOST: '0.0.0.0',
    PORT: ' 8080 ',
    PUBLIC_URL: 'https://opportunities.example.gov.uk/',
    LOG_LEVEL: 'warn',
    DATA_DIR: '/srv/portal',
    DATABASE_URL: 'postgresql://portal:secret@db:5432/portal',
    EMBEDDED_DB_PORT: '55000',
    SEED_DEMO_DATA: 'no',
    WORKER_IN_PROCESS: 'OFF',
    TRUST_PROXY: '1',
    RATE_LIMIT_PER_MINUTE: '60',
    SESSION_SECRET: 'a-session-secret-of-at-least-32-characters',
    SMTP_URL: 'smtps://portal:secret@mail.example.gov.uk:465',
    MAIL_FROM: 'Find it in Sandwell <opportunities@sandwell.example.gov.uk>',
    SERVICE_NAME: 'Find it in Sandwell',
    COUNCIL_NAME: 'Sandwell Council',
    BRAND_COLOUR: '#00703C',
    BRAND_FONT_STACK: 'Arial, sans-serif',
    OCID_PREFIX: 'ocds-b5fd17',
    LOCAL_POSTCODE_DISTRICTS: ' b66 , dy4,,WS10 ',
  });
  t.equal(config.nodeEnv, 'production');
  t.equal(config.host, '0.0.0.0');
  t.equal(config.port, 8080);
  t.equal(config.publicUrl, 'https://opportunities.example.gov.uk', 'the trailing slash is dropped');
  t.equal(config.logLevel, 'warn');
  t.equal(config.dataDir, '/srv/portal');
  t.equal(config.databaseUrl, 'postgresql://portal:secret@db:5432/portal');
  t.equal(config.embeddedDbPort, 55000);
  t.equal(config.seedDemoData, false);
  t.equal(config.workerInProcess, false);
  t.equal(config.trustProxy, true);
  t.equal(config.rateLimitPerMinute, 60);
  t.equal(config.sessionSecret, 'a-session-secret-of-at-least-32-characters');
  t.same(config.mail, { smtpUrl: 'smtps://portal:secret@mail.example.gov.uk:465', from: 'Find it in Sandwell <opportunities@sandwell.example.gov.uk>' });
  t.same(config.brand, { serviceName: 'Find it in Sandwell', councilName: 'Sandwell Council', colour: '#00703C', fontStack: 'Arial, sans-serif' });
  t.equal(config.ocidPrefix, 'ocds-b5fd17');
  t.same(config.localPostcodeDistricts, ['B66', 'DY4', 'WS10'], 'districts are trimmed, upper-cased, blanks dropped');
});

t.test('PORT=0 (pick a free port) is allowed and PUBLIC_URL still has a default', async (t) => {
  const config = loadConfig({ PORT: '0' });
  t.equal(config.port, 0);
  t.equal(config.publicUrl, 'http://localhost:0');
});

t.test('a relative DATA_DIR is resolved against the working directory', async (t) => {
  t.equal(loadConfig({ DATA_DIR: 'data-here' }).dataDir, path.resolve('data-here'));
});

// Each kind of invalid value: [variable, value, words the message must contain about what is expected].
const invalid: [string, string, RegExp][] = [
  ['NODE_ENV', 'staging', /one of development, production, test/],
  ['PORT', 'abc', /whole number from 0 to 65535/],
  ['PORT', '70000', /whole number from 0 to 65535/],
  ['PORT', '-1', /whole number from 0 to 65535/],
  ['PORT', '3000.5', /whole number from 0 to 65535/],
  ['PUBLIC_URL', 'opportunities.example.gov.uk', /URL starting http: or https:/],
  ['PUBLIC_URL', 'ftp://example.gov.uk', /URL starting http: or https:/],
  ['LOG_LEVEL', 'loud', /one of fatal, error, warn, info, debug, trace, silent/],
  ['DATABASE_URL', 'mysql://portal@db/portal', /URL starting postgres: or postgresql:/],
  ['DATABASE_URL', 'not a url', /URL starting postgres: or postgresql:/],
  ['EMBEDDED_DB_PORT', '80', /whole number from 1024 to 65535/],
  ['EMBEDDED_DB_PORT', 'five', /whole number from 1024 to 65535/],
  ['SEED_DEMO_DATA', 'maybe', /true or false/],
  ['WORKER_IN_PROCESS', 'sometimes', /true or false/],
  ['TRUST_PROXY', '2', /true or false/],
  ['RATE_LIMIT_PER_MINUTE', '0', /whole number from 1 to 1000000/],
  ['RATE_LIMIT_PER_MINUTE', 'lots', /whole number from 1 to 1000000/],
  ['SESSION_SECRET', 'too-short', /at least 32 characters/],
  ['SMTP_URL', 'mail.example.gov.uk:25', /URL starting smtp: or smtps:/],
  ['SMTP_URL', 'http://mail.example.gov.uk', /URL starting smtp: or smtps:/],
  ['MAIL_FROM', 'Opportunity Portal', /an email address/],
  ['MAIL_FROM', 'Portal <not an address>', /an email address/],
  ['BRAND_COLOUR', 'red', /hex colour such as #1d70b8/],
  ['BRAND_COLOUR', '#fff', /hex colour such as #1d70b8/],
  ['BRAND_FONT_STACK', 'Arial; } body { display: none', /CSS font-family list without/],
  ['OCID_PREFIX', 'bad', /OCDS prefix/],
  ['OCID_PREFIX', 'ocds-ABC123', /OCDS prefix/],
  ['LOCAL_POSTCODE_DISTRICTS', 'nonsense', /comma-separated list of outward postcode districts/],
  ['LOCAL_POSTCODE_DISTRICTS', 'B66,B66 4AA', /comma-separated list of outward postcode districts/],
];

for (const [variable, value, expected] of invalid) {
  t.test(`${variable}=${value} is refused with a ConfigError naming ${variable}`, async (t) => {
    const error = configError({ [variable]: value });
    t.equal(error.variable, variable);
    t.match(error.expected, expected);
    t.match(error.message, new RegExp(`^Invalid configuration: ${variable} must be `));
    t.match(error.message, expected);
    t.notMatch(error.message, /\n/, 'one line');
  });
}

// A refused URL often carries a real password: the error shows the value with it hidden.
const leakyUrls: [string, string, string][] = [
  ['DATABASE_URL', 'mysql://portal:s3cret-pw@db.example:3306/portal', 's3cret-pw'],
  ['DATABASE_URL', 'http://portal:s3cret-pw@db.example/portal', 's3cret-pw'],
  ['SMTP_URL', 'http://portal:s3cret-pw@db.example:587', 's3cret-pw'],
];
for (const [variable, value, secret] of leakyUrls) {
  t.test(`a refused ${variable} does not show its credentials (${value.split(':')[0]})`, async (t) => {
    const error = configError({ [variable]: value });
    t.equal(error.variable, variable);
    t.notMatch(error.message, secret);
    t.notMatch(error.message, 'portal:', 'nor the user name');
    t.match(error.message, 'db.example', 'the host is still shown, to tell which URL is meant');
  });
}

t.test('a refused SESSION_SECRET is never shown', async (t) => {
  const error = configError({ SESSION_SECRET: 'short-but-secret' });
  t.notMatch(error.message, 'short-but-secret');
  t.equal(error.received, '(hidden)');
});

// Values the URL parser reads differently from what the user meant: the credentials must stay
// hidden all the same. These fail against the spine's redact() — see the report's config diff.
const trickyUrls: [string, string][] = [
  ['portal:s3cret-pw@db.example:5432/portal', 's3cret-pw'], // no scheme: "portal:" parses as one
  ['mysql://portal:s3/cret@db.example/portal', 's3/cret'], // an unencoded "/" in the password
  ['mysql://portal:s3@cret@db.example/portal', 'cret'], // an unencoded "@" in the password
  ['mysql://db.example/portal?user=portal&password=s3cret-pw', 's3cret-pw'], // libpq's query form
];
for (const [value, secret] of trickyUrls) {
  t.test(`a refused DATABASE_URL hides its password however it is written: ${value.replace(secret, '…')}`, async (t) => {
    const error = configError({ DATABASE_URL: value });
    t.equal(error.variable, 'DATABASE_URL');
    t.notMatch(error.message, secret, 'the password is not shown');
  });
}

t.test('the server refuses an invalid PORT with one line on stderr and exit code 1', async (t) => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'portal-config-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  const server = spawnServer({ cwd, env: { PORT: 'abc', DATA_DIR: path.join(cwd, 'var') } });
  t.teardown(() => server.kill());
  const exit = await server.waitForExit(60_000);
  if (!t.same(exit, { code: 1, signal: null }, 'exit code 1')) t.comment(server.diagnostics());
  const stderr = server.lines.filter((line) => line.stream === 'stderr' && line.text.trim() !== '');
  t.equal(stderr.length, 1, 'exactly one line on stderr');
  t.equal(stderr[0]?.text, 'Invalid configuration: PORT must be a whole number from 0 to 65535 (got "abc")');
  t.notMatch(server.output(), /\bat .+:\d+:\d+\)?$/m, 'no stack trace');
  t.same(server.lines.filter((line) => line.stream === 'stdout' && line.text.trim() !== ''), [], 'nothing on stdout');
});

t.test('the server reads .env from its working directory, and the real environment wins over it', async (t) => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'portal-config-'));
  t.teardown(() => rmSync(cwd, { recursive: true, force: true }));
  writeFileSync(path.join(cwd, '.env'), 'LOG_LEVEL=loud\nSEED_DEMO_DATA=maybe\n');

  const fromFile = spawnServer({ cwd, env: { SEED_DEMO_DATA: 'false' } });
  t.teardown(() => fromFile.kill());
  t.same(await fromFile.waitForExit(60_000), { code: 1, signal: null });
  t.match(fromFile.output(), 'LOG_LEVEL must be one of', 'LOG_LEVEL=loud came from .env');

  const overridden = spawnServer({ cwd, env: { LOG_LEVEL: 'info', SEED_DEMO_DATA: 'perhaps' } });
  t.teardown(() => overridden.kill());
  t.same(await overridden.waitForExit(60_000), { code: 1, signal: null });
  const output = overridden.output();
  t.match(output, 'SEED_DEMO_DATA must be true or false (got "perhaps")', 'the environment value, not .env\'s, is used');
  t.notMatch(output, 'LOG_LEVEL', 'LOG_LEVEL=info from the environment beat .env');
});
