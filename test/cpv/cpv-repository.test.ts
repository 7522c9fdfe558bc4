// Searching the 9,454 CPV codes by words: every word must match, digits match code prefixes,
// results are capped with the total, broad codes come before narrow ones, and a search is quick.
import t from 'tap';
import { CPV_SEARCH_LIMIT, findCpvCode, findCpvCodes, findDivisions, searchCpvCodes, searchWords } from '../../src/modules/cpv/cpv.repository.js';
import { createTestDatabase } from '../helper.js';

t.test('search words: letters and digits only, lower-cased, plurals folded, at most 8', async (t) => {
  t.same(searchWords('Grass-cutting  SERVICES'), ['grass', 'cutting', 'service']);
  t.same(searchWords('%_\\\'; drop table'), ['drop', 'table'], 'wildcards and punctuation never reach SQL');
  t.same(searchWords('a b 7'), ['7'], 'single letters are dropped, single digits kept');
  t.same(searchWords('schools glass'), ['school', 'glass'], '"glass" keeps its double s');
  t.same(searchWords('one two three four five six seven eight nine ten'), ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight']);
  t.same(searchWords('  '), []);
});

t.test('searching the codes', async (t) => {
  const database = await createTestDatabase(t);
  const db = database.db;

  const grounds = await searchCpvCodes(db, 'grounds maintenance');
  t.ok(grounds.items.some((c) => c.code === '77314000' && c.description === 'Grounds maintenance services'), 'finds Grounds maintenance services');
  const first = grounds.items.find((c) => c.code === '77314000')!;
  t.equal(first.division, '77');
  t.equal(first.divisionDescription, 'Agricultural, forestry, horticultural, aquacultural and apicultural services', 'with its division');
  t.ok(grounds.items.every((c) => /ground/i.test(c.description) && /maintenance/i.test(c.description)), 'every result has every word');

  const catering = await searchCpvCodes(db, 'Catering');
  t.ok(catering.items.slice(0, 3).some((c) => c.code === '55520000'), 'Catering services is among the first three');
  t.match(catering.items[0]?.description, /^Catering/, 'descriptions that start with the word come first');
  t.ok(catering.items.findIndex((c) => c.code === '55520000') < catering.items.findIndex((c) => c.code === '55524000'), 'broad codes before narrow ones');

  const weed = await searchCpvCodes(db, 'weed');
  const weedCodes = weed.items.map((c) => c.code);
  t.ok(weedCodes.includes('77312000') && weedCodes.includes('77312100'), 'a hyphenated description (Weed-clearance services) matches its words');

  const byCode = await searchCpvCodes(db, '7731');
  t.ok(byCode.items.length > 0 && byCode.items.every((c) => c.code.startsWith('7731')), 'digits find codes by their start');

  const many = await searchCpvCodes(db, 'services');
  t.equal(many.items.length, CPV_SEARCH_LIMIT, `capped at ${CPV_SEARCH_LIMIT}`);
  t.ok(many.total > 1000, `with the full count (${many.total})`);

  t.same(await searchCpvCodes(db, 'zzyzx'), { items: [], total: 0, words: ['zzyzx'] });
  t.same(await searchCpvCodes(db, '% _'), { items: [], total: 0, words: [] }, 'no words, no search');

  // Quick enough to run on every keypress-free page load: a broad search under 100 ms.
  const started = performance.now();
  for (let i = 0; i < 5; i++) await searchCpvCodes(db, 'maintenance services');
  const each = (performance.now() - started) / 5;
  t.ok(each < 100, `a search takes ${each.toFixed(1)} ms`);
});

t.test('looking codes and divisions up', async (t) => {
  const database = await createTestDatabase(t);
  const db = database.db;
  const found = await findCpvCodes(db, ['77314000', '55520000', '99999999', 'nonsense', '77314000']);
  t.same(
    found.map((c) => c.code),
    ['55520000', '77314000'],
    'unknown and malformed codes are left out, duplicates once, in code order',
  );
  t.equal((await findCpvCode(db, '45000000'))?.description, 'Construction work');
  t.equal(await findCpvCode(db, '45000001'), undefined);
  t.same(await findDivisions(db, ['77', '45', 'xx', '45']), [
    { division: '45', description: 'Construction work' },
    { division: '77', description: 'Agricultural, forestry, horticultural, aquacultural and apicultural services' },
  ]);
});
