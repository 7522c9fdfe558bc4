/**
 * `npm run create-admin -- --email someone@council.gov.uk [--name "…"]`: makes that account a
 * platform administrator, creating it if needed, in the portal's database (DATABASE_URL, or the
 * embedded one under DATA_DIR — shared with a running `npm start`), migrated first. A new account
 * (or one without a password) gets a one-time set-password link on stdout; no password is ever
 * asked for or shown.
 *
 * Exit codes: 0 done, 1 failed (with a one-line reason), 2 bad arguments.
 */
import { openDatabase, type Database } from '../src/db/client.js';
import { runMigrations } from '../src/db/migrate.js';
import { readConfigOrExit } from '../src/lib/process.js';
import { CREATE_ADMIN_USAGE, grantPlatformAdmin, parseCreateAdminArgs } from '../src/modules/admin/platform-admins.js';

const parsed = parseCreateAdminArgs(process.argv.slice(2));
if (!parsed.ok) {
  console.error(`create-admin: ${parsed.error} (npm run create-admin -- --help shows the options)`);
  process.exit(2);
}
if (parsed.args.help) {
  console.log(CREATE_ADMIN_USAGE);
  process.exit(0);
}
const { email, name } = parsed.args;

const config = readConfigOrExit();
// PostgreSQL's own start-up chatter is kept back and shown only if something goes wrong.
const embeddedLog: string[] = [];
let database: Database | undefined;
let exitCode = 0;
try {
  database = await openDatabase(config, { log: (message) => embeddedLog.push(message), poolSize: 2 });
  await runMigrations(database);
  const result = await grantPlatformAdmin(database.db, config, { email, name });
  const hours = result.linkLifetimeHours === 1 ? '1 hour' : `${result.linkLifetimeHours} hours`;
  const lines = {
    created: `Created a platform administrator account for ${result.email}.`,
    promoted: `${result.email} is now a platform administrator.`,
    already: `${result.email} is already a platform administrator; nothing changed.`,
  };
  console.log(lines[result.status]);
  if (result.setPasswordLink) {
    console.log(`The account has no password yet. Open this one-time link within ${hours} to set it:\n\n  ${result.setPasswordLink}\n`);
    console.log('After that, use "Forgotten your password?" on the sign-in page, or run this command again for a new link.');
  }
} catch (error) {
  if (embeddedLog.length) console.error(embeddedLog.join('\n'));
  console.error(`create-admin: failed: ${(error as Error).message}`);
  exitCode = 1;
} finally {
  await database?.close();
}
process.exit(exitCode);
