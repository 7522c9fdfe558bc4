/**
 * The demo module's small parts, without a database: the seeded generator, London dates, the
 * repair of the real notices' text, thresholds, and the templates' CPV codes.
 */
import path from 'node:path';
import t from 'tap';
import { readCpvCsv } from '../../src/db/migrate.js';
import { slugify } from '../../src/lib/slug.js';
import { areaName } from '../../src/modules/demo/organisations.js';
import { Random } from '../../src/modules/demo/random.js';
import { findPostcode, loadRealNotices, namesAnotherBody, repairText, summarise, toMarkdown } from '../../src/modules/demo/real-notices.js';
import { TEMPLATES } from '../../src/modules/demo/templates.js';
import { Thresholds } from '../../src/modules/opportunities/thresholds.js';
import { addMonthsToDate, dayBefore, londonAt, londonDate } from '../../src/modules/demo/time.js';
import { referenceDataDir } from '../../src/paths.js';

t.test('the generator repeats itself for a seed and differs between seeds', async (t) => {
  const draw = (seed: number) => {
    const rng = new Random(seed);
    return Array.from({ length: 50 }, () => rng.next());
  };
  t.same(draw(1), draw(1));
  t.notSame(draw(1), draw(2));
  const rng = new Random(3);
  const values = Array.from({ length: 10_000 }, () => rng.int(1, 6));
  t.ok(values.every((v) => v >= 1 && v <= 6));
  for (let face = 1; face <= 6; face++) {
    const share = values.filter((v) => v === face).length / values.length;
    t.ok(share > 0.14 && share < 0.19, `face ${face} comes up about a sixth of the time (${share.toFixed(3)})`);
  }
  t.same(new Random(4).shuffle([1, 2, 3, 4, 5]).sort(), [1, 2, 3, 4, 5], 'a shuffle keeps every item');
  t.throws(() => new Random(5).pick([]), /empty/);
});

t.test('London wall-clock times agree with Intl across the clock changes', async (t) => {
  const intl = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const wallClock = (d: Date) => {
    const p = Object.fromEntries(intl.formatToParts(d).map((x) => [x.type, x.value]));
    return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
  };
  let checked = 0;
  // Every day for three years, including both clock changes each year.
  for (let day = 0; day < 3 * 366; day++) {
    const base = new Date(Date.UTC(2025, 0, 1, 23, 30) + day * 86_400_000);
    const noon = londonAt(base, 0, 12);
    const seen = wallClock(noon);
    if (seen.time !== '12:00' || seen.date !== wallClock(base).date) t.fail(`${base.toISOString()}: noon in London came out as ${seen.date} ${seen.time}`);
    if (londonDate(base) !== wallClock(base).date) t.fail(`${base.toISOString()}: London date ${londonDate(base)}, Intl says ${wallClock(base).date}`);
    checked++;
  }
  t.equal(checked, 3 * 366);
  t.equal(londonAt(new Date('2026-07-01T12:00:00Z'), 0, 12).toISOString(), '2026-07-01T11:00:00.000Z', 'noon BST is 11:00 UTC');
  t.equal(londonAt(new Date('2026-01-15T12:00:00Z'), 1, 9, 30).toISOString(), '2026-01-16T09:30:00.000Z', 'GMT is UTC');
  t.equal(addMonthsToDate('2026-01-31', 1), '2026-02-28', 'months clamp to the last day');
  t.equal(dayBefore(addMonthsToDate('2026-04-01', 12)), '2027-03-31', 'a year from 1 April ends on 31 March');
});

t.test('the real notices\' flattened line breaks and tabs are repaired', async (t) => {
  t.equal(repairText('Additional information: rnThe Council is using'), 'Additional information:\nThe Council is using');
  t.equal(repairText('Annexe A - PQQ Tenderer Q&ArnNon Disclosure Agreement'), 'Annexe A - PQQ Tenderer Q&A\nNon Disclosure Agreement');
  t.equal(repairText('is required.rn rnThe purpose'), 'is required.\n\nThe purpose');
  t.equal(repairText('Level 4 rn•t12 (twelve) places'), 'Level 4\n• 12 (twelve) places');
  t.equal(repairText('infrastructure. rn2.tReview existing'), 'infrastructure.\n2. Review existing');
  t.equal(repairText('submission deadline tThursday 6th February'), 'submission deadline Thursday 6th February');
  t.equal(repairText('framework.\u202f The\u00a0initial'), 'framework. The initial', 'runs of spaces become one');
  t.equal(repairText('found here: rnhttps://www.example.org/x'), 'found here:\nhttps://www.example.org/x');
  t.equal(repairText('Please return the modern Western pattern, learn more'), 'Please return the modern Western pattern, learn more', 'real words ending in "rn" stay');

  t.equal(toMarkdown('First paragraph\nSecond *starred* one\n• bullet one\n- bullet two\nsee https://example.org/a_b_c'), 'First paragraph\n\nSecond \\*starred\\* one\n\n- bullet one\n- bullet two\n\nsee https://example.org/a_b_c');
  t.equal(toMarkdown('file_name stays, _emphasis_ does not'), 'file_name stays, \\_emphasis\\_ does not');
  t.equal(summarise('Short text.'), 'Short text.');
  t.equal(summarise('Grounds maintenance\nAdditional information:\nCutting grass\nin parks.', 240, 'Grounds Maintenance'), 'Cutting grass. in parks.', 'skips a repeated title and the label; lines end with a stop');
  const long = `${'The council is looking for a contractor. '.repeat(3)}${'Then many more words follow here '.repeat(10)}`;
  const summary = summarise(long);
  t.ok(summary.length <= 240 && summary.endsWith('.'), `cut at a sentence: "${summary}"`);
  t.ok(summarise('word '.repeat(100)).endsWith('…'), 'or at a word, with an ellipsis');
  t.equal(findPostcode('30 Lismore Drive, Birmingham, West Midlands, United Kingdom, B17 0TP'), 'B17 0TP');
  t.equal(findPostcode('no postcode here'), null);
});

t.test('the real notices load with codes that exist and values in pence', async (t) => {
  const cpv = await readCpvCsv(path.join(referenceDataDir, 'cpv-2008.csv'));
  const codes = new Set(cpv.map((c) => c.code));
  const notices = loadRealNotices(codes);
  t.ok(notices.length >= 100, `${notices.length} contracting processes`);
  t.notOk(notices.some((n) => namesAnotherBody(`${n.title}\n${n.description}`, undefined)), 'none names another public body');
  t.equal(new Set(notices.map((n) => n.ocid)).size, notices.length, 'one per ocid');
  t.ok(notices.every((n) => n.cpvCodes.length > 0 && n.cpvCodes.every((c) => codes.has(c))));
  t.ok(notices.every((n) => [n.valueMinPence, n.valueMaxPence].every((v) => v === null || (Number.isInteger(v) && v >= 100))));
  t.ok(notices.some((n) => (n.valueMaxPence ?? 0) > 2_100_000_000), 'some exceed £21m (why money is bigint)');
  t.same(new Set(notices.map((n) => n.kind)), new Set(['planning', 'tender', 'award']));
  t.ok(notices.some((n) => (n.award?.suppliers.length ?? 0) > 1), 'some awards name several suppliers');
  t.ok(notices.some((n) => n.amended), 'some were amended');
});

t.test('templates use real CPV codes and sensible values', async (t) => {
  const codes = new Set((await readCpvCsv(path.join(referenceDataDir, 'cpv-2008.csv'))).map((c) => c.code));
  for (const template of TEMPLATES) {
    const unknown = template.cpv.filter((c) => !codes.has(c));
    t.same(unknown, [], `${template.key}: CPV codes exist`);
    t.ok(template.valuePounds[0] > 0 && template.valuePounds[0] <= template.valuePounds[1], `${template.key}: value range`);
  }
  const keys = TEMPLATES.map((t) => t.key);
  for (const wanted of ['grounds', 'school-meals', 'it-support', 'home-care', 'youth', 'highways', 'cleaning', 'legal', 'building-repairs', 'waste', 'community-transport']) {
    t.ok(keys.includes(wanted), `a ${wanted} template`);
  }
});

t.test('thresholds are dated', async (t) => {
  const thresholds = Thresholds.load();
  t.equal(thresholds.subCentral('goods_services', '2025-06-01'), 21_490_400);
  t.equal(thresholds.subCentral('goods_services', '2026-06-01'), 20_772_000);
  t.equal(thresholds.subCentral('works', '2026-06-01'), 519_300_000);
  t.equal(thresholds.subCentral('light_touch', '2026-06-01'), 66_354_000);
  t.ok(thresholds.belowThreshold('goods_services', 17_000_000, '2026-06-01'), '£170,000 + VAT is below £207,720');
  t.notOk(thresholds.belowThreshold('goods_services', 17_500_000, '2026-06-01'), '£175,000 + VAT is not');
  t.notOk(thresholds.belowThreshold('goods_services', null, '2026-06-01'), 'an unknown value cannot be reserved');
});

t.test('names for the configured council', async (t) => {
  t.equal(areaName('Sandwell Metropolitan Borough Council'), 'Sandwell');
  t.equal(areaName('Demo Borough Council'), 'Demo');
  t.equal(areaName('Harbourside City Council'), 'Harbourside');
  t.equal(areaName('Council'), 'Council');
  t.equal(slugify('Hartley & Mistry Solicitors LLP'), 'hartley-mistry-solicitors-llp');
});

t.test('notices naming another public body are left out of the demo', async (t) => {
  t.ok(namesAnotherBody('Mole Valley District Council - Tenancy Sustainment Service', undefined));
  t.ok(namesAnotherBody('Services for the London Borough of Merton', 'London Borough of Merton'));
  t.ok(namesAnotherBody('Stewarding with Durham Constabulary', undefined));
  t.notOk(namesAnotherBody('The Council invites tenders for grounds maintenance', undefined), 'a generic "the Council" is fine');
});
