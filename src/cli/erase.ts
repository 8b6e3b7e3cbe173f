/**
 * `npm run erase -- <user-id> ...` or `npm run erase -- --stdin` (one id per line): erases accounts by their
 * pseudonymous id, exactly as `DELETE /auth/me` does. Operators use it to re-apply the erasures made after a
 * backup when that backup is restored (docs/deployment.md). Ids already absent are reported, not errors.
 */
import { text } from 'node:stream/consumers';
import { openDatabase } from '../db/index.js';
import { UserRepository } from '../db/repositories/users.js';
import { systemClock } from '../services/clock.js';
import { createServices } from '../services/index.js';
import { configOrExit, exitWithError } from './common.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const args = process.argv.slice(2);
const input = args.includes('--stdin') ? (await text(process.stdin)).split(/\s+/) : args;
const ids = [...new Set(input.map((id) => id.trim()).filter(Boolean))];
const malformed = ids.filter((id) => !UUID.test(id));
if (ids.length === 0 || malformed.length > 0) {
  exitWithError('usage: npm run erase -- <user-id> ... | --stdin', malformed.length ? `not a user id: ${malformed.join(', ')}` : 'no user ids given');
}

const config = configOrExit();
const database = openDatabase(config.database);
try {
  const { accounts } = createServices({ config, database, clock: systemClock });
  const users = new UserRepository(database.db);
  let erased = 0;
  let absent = 0;
  for (const id of ids) {
    const user = await users.findById(id);
    if (!user) {
      absent++;
      continue;
    }
    await accounts.erase(user);
    erased++;
  }
  process.stdout.write(`Erased ${erased} account(s); ${absent} already absent.\n`);
} catch (error) {
  exitWithError('Erasure failed', error);
} finally {
  await database.destroy();
}
