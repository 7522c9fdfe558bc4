/**
 * Typed, validated configuration read from the environment (and `.env`, when present).
 *
 * Every variable is documented in `.env.example` and the README. An invalid value stops start-up
 * with a ConfigError naming the variable and what is expected; `src/server.ts` prints that one
 * line and exits, never a stack trace.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { referenceDataDir } from './paths.js';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly expected: string,
    readonly received: string,
  ) {
    super(`Invalid configuration: ${variable} must be ${expected} (got "${received}")`);
    this.name = 'ConfigError';
  }
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  host: string;
  port: number;
  publicUrl: string;
  logLevel: LogLevel;
  /** Where the running portal writes: embedded database, mail outbox, uploaded files. */
  dataDir: string;
  /** When set, the portal uses this PostgreSQL server and starts no embedded one. */
  databaseUrl: string | undefined;
  embeddedDbPort: number;
  /** Load the demo data into an empty embedded database on first start. */
  seedDemoData: boolean;
  /** Run the job worker inside the web process (the default) instead of `npm run worker`. */
  workerInProcess: boolean;
  trustProxy: boolean;
  rateLimitPerMinute: number;
  /** Signs session and CSRF cookies; shared by every instance. Unset: a secret kept in DATA_DIR. */
  sessionSecret: string | undefined;
  mail: {
    /** SMTP server (smtp:// or smtps://, credentials in the URL). Unset: .eml files in DATA_DIR/outbox. */
    smtpUrl: string | undefined;
    /** The From address of every message, e.g. "Opportunity Portal <opportunities@example.gov.uk>". */
    from: string;
  };
  brand: {
    serviceName: string;
    councilName: string;
    colour: string;
    fontStack: string;
  };
  search: {
    /** A Meilisearch server (http:// or https://). Unset: search runs on PostgreSQL alone. */
    meilisearchUrl: string | undefined;
    /** Meilisearch API key (a key allowed to search and manage the index). */
    meilisearchApiKey: string | undefined;
    /** The Meilisearch index name, so several portals can share one server. */
    meilisearchIndex: string;
    /** The synonyms file (one group of equivalent phrases per line). */
    synonymsFile: string;
  };
  /** OCDS ocid prefix registered with the Open Contracting Partnership, e.g. `ocds-abc123`. */
  ocidPrefix: string;
  /** Outward postcode districts counted as "local", e.g. B66, DY4. */
  localPostcodeDistricts: string[];
  timeZone: string;
}

type Env = Record<string, string | undefined>;

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `a whole number from ${min} to ${max}`, raw);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `a whole number from ${min} to ${max}`, raw);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const lowered = raw.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(lowered)) return true;
  if (['false', '0', 'no', 'off'].includes(lowered)) return false;
  throw new ConfigError(name, 'true or false', raw);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(name, `one of ${allowed.join(', ')}`, raw);
  return raw as T;
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `a URL starting ${protocols.join(' or ')}`, redact(raw));
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `a URL starting ${protocols.join(' or ')}`, redact(raw));
  }
  return raw;
}

/** Hide credentials in a URL before it is shown in an error message. */
function redact(raw: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(raw)?.[0] ?? '';
  const at = raw.lastIndexOf('@');
  const rest = at === -1 ? raw.slice(scheme.length) : `***@${raw.slice(at + 1)}`;
  return `${scheme}${rest}`.replace(/(password=)[^&]*/gi, '$1***');
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const OUTWARD_DISTRICT = /^[A-Z]{1,2}\d[A-Z\d]?$/;

export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'production', 'test'] as const, 'development');
  const port = integer(env, 'PORT', 3000, 0, 65535);
  const host = read(env, 'HOST') ?? '127.0.0.1';
  const publicUrl = url(env, 'PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`;

  const colour = read(env, 'BRAND_COLOUR') ?? '#1d70b8';
  if (!/^#[0-9a-fA-F]{6}$/.test(colour)) throw new ConfigError('BRAND_COLOUR', 'a hex colour such as #1d70b8', colour);
  const fontStack = read(env, 'BRAND_FONT_STACK') ?? 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';
  if (/[;{}<>]/.test(fontStack)) throw new ConfigError('BRAND_FONT_STACK', 'a CSS font-family list without ; { } < >', fontStack);

  const ocidPrefix = read(env, 'OCID_PREFIX') ?? 'ocds-op0rtl';
  if (!/^ocds-[a-z0-9]{6}$/.test(ocidPrefix)) throw new ConfigError('OCID_PREFIX', 'an OCDS prefix: "ocds-" and 6 lower-case letters or digits', ocidPrefix);

  const districtsRaw = read(env, 'LOCAL_POSTCODE_DISTRICTS') ?? 'B64,B65,B66,B67,B68,B69,B70,B71,DY4,WS10';
  const localPostcodeDistricts = districtsRaw.split(',').map((d) => d.trim().toUpperCase()).filter(Boolean);
  for (const district of localPostcodeDistricts) {
    if (!OUTWARD_DISTRICT.test(district)) {
      throw new ConfigError('LOCAL_POSTCODE_DISTRICTS', 'a comma-separated list of outward postcode districts such as B66,DY4', districtsRaw);
    }
  }

  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const sessionSecret = read(env, 'SESSION_SECRET');
  if (sessionSecret !== undefined && sessionSecret.length < 32) throw new ConfigError('SESSION_SECRET', 'at least 32 characters (e.g. `openssl rand -base64 48`)', '(hidden)');
  const dataDir = path.resolve(read(env, 'DATA_DIR') ?? './var');

  return {
    nodeEnv,
    host,
    port,
    publicUrl: publicUrl.replace(/\/$/, ''),
    logLevel: oneOf(env, 'LOG_LEVEL', LOG_LEVELS, nodeEnv === 'test' ? 'silent' : 'info'),
    dataDir,
    databaseUrl,
    embeddedDbPort: integer(env, 'EMBEDDED_DB_PORT', 54329, 1024, 65535),
    seedDemoData: boolean(env, 'SEED_DEMO_DATA', true),
    workerInProcess: boolean(env, 'WORKER_IN_PROCESS', true),
    trustProxy: boolean(env, 'TRUST_PROXY', false),
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
    sessionSecret,
    mail: {
      smtpUrl: url(env, 'SMTP_URL', ['smtp:', 'smtps:']),
      from: mailFrom(env),
    },
    brand: {
      serviceName: read(env, 'SERVICE_NAME') ?? 'Opportunity Portal',
      councilName: read(env, 'COUNCIL_NAME') ?? 'Demo Borough Council',
      colour,
      fontStack,
    },
    search: {
      meilisearchUrl: url(env, 'MEILISEARCH_URL', ['http:', 'https:']),
      meilisearchApiKey: read(env, 'MEILISEARCH_API_KEY'),
      meilisearchIndex: meilisearchIndex(env),
      synonymsFile: path.resolve(read(env, 'SEARCH_SYNONYMS_FILE') ?? path.join(referenceDataDir, 'search-synonyms.txt')),
    },
    ocidPrefix,
    localPostcodeDistricts,
    timeZone: 'Europe/London',
  };
}

function meilisearchIndex(env: Env): string {
  const index = read(env, 'MEILISEARCH_INDEX') ?? 'opportunities';
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(index)) throw new ConfigError('MEILISEARCH_INDEX', 'letters, digits, - and _ only (up to 100)', index);
  return index;
}

function mailFrom(env: Env): string {
  const raw = read(env, 'MAIL_FROM') ?? 'Opportunity Portal <opportunities@localhost>';
  const address = /<([^<>]+)>\s*$/.exec(raw)?.[1] ?? raw;
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(address)) throw new ConfigError('MAIL_FROM', 'an email address, optionally with a name: "Name <address@example.gov.uk>"', raw);
  return raw;
}

/** Load `.env` from the working directory when it exists (real environment variables win). */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}
